package io.soma.streams.topologies.policy.detectors;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Attempts to override or exfiltrate an assistant's instructions, written from public descriptions of these
 * attack families (OWASP LLM01 "prompt injection", the published DAN / "developer mode" prompts, Greshake et al.
 * 2023 on indirect injection, Wei et al. 2023 "Jailbroken: How Does LLM Safety Training Fail?" on competing
 * objectives, Liu et al. 2023 "Jailbreaking ChatGPT via Prompt Engineering" on privilege escalation, Unicode
 * TR #36/#39 on confusables and invisible characters), not tuned on any evaluation set. Each family is a distinct
 * tell:
 * <ul>
 *   <li>{@code override}: the text tells the model to drop what it was told before; ordinary requests never
 *       need to.</li>
 *   <li>{@code roleplay_jailbreak}: a persona or "mode" that is defined by having no rules (DAN, developer mode,
 *       "no restrictions"); the framing, not the topic, is the attack.</li>
 *   <li>{@code system_prompt_request}: asks the model to disclose its hidden instructions.</li>
 *   <li>{@code refusal_suppression}: forbids the model to refuse, apologise or add disclaimers, or demands an
 *       answer however harmful (Wei et al.'s "refusal suppression"): a safety-trained model's refusal is what
 *       the attack has to get past, so it is named.</li>
 *   <li>{@code prefix_injection}: dictates that the answer open with a compliant phrase ("Sure, here is"), so
 *       that continuing it wins over refusing (Wei et al.'s "prefix injection").</li>
 *   <li>{@code privilege_escalation}: tells the model its filters are off or that it has been freed from its
 *       rules (Liu et al.'s "sudo mode" / "simulate jailbreaking").</li>
 *   <li>{@code encoded_payload}: base64 or hex that decodes to readable text: a way to smuggle instructions past
 *       word filters. Only text that decodes to mostly printable ASCII counts, so hashes, keys and binary data do
 *       not.</li>
 *   <li>{@code homoglyphs}: words that mix Latin with Cyrillic or Greek letters (Unicode TR #39 "mixed script"),
 *       which people do not type but filter evasion does.</li>
 *   <li>{@code invisible_characters}: zero-width and Unicode tag characters, which hide text from a human reader
 *       while a model still reads it.</li>
 * </ul>
 * "How can I kill a Python process?" matches none: no family is about harmful topics.
 */
final class InstructionAttackDetectors {
    /** Shortest base64 run that counts: 40 characters decode to 30 bytes, a short sentence. */
    static final int MIN_BASE64_CHARS = 40;
    /** Shortest hex run that counts: 40 hex digits decode to 20 bytes. */
    static final int MIN_HEX_CHARS = 40;
    /** Share of decoded bytes that must be printable ASCII for a blob to count as encoded text. */
    static final double MIN_PRINTABLE_SHARE = 0.9;
    /** Mixed-script words needed: one can be a name or a typo, two are a pattern. */
    static final int MIN_MIXED_SCRIPT_WORDS = 2;
    /** Invisible characters needed: one can be a stray byte-order mark or an emoji joiner. */
    static final int MIN_INVISIBLE_CHARACTERS = 3;

    private InstructionAttackDetectors() {
    }

    private static final String INSTRUCTIONS = "(?:instructions?|prompts?|rules|directions|directives|guidelines"
            + "|guidance|programming|context|commands?|orders|messages?|constraints)";

    /** "never", "do not", "don't" and the like, before what a refusal-suppressing instruction forbids. */
    private static final String NEGATION = "(?:never|(?:do|does|must|will|shall|should)\\s+not"
            + "|(?:don|doesn|won|mustn|shouldn)['’]t)";
    private static final String RULELESS = "(?:amoral|unethical|immoral|unfiltered|uncensored|unrestricted)";
    private static final String PERSONA = "(?:ai|chatbot|bot|assistant|language\\s+model|model|persona|version)";
    /**
     * Where a command to the reader starts: the text's or a sentence's start, a quote or bracket, or a word such as
     * "please" or "now". "Forget everything before that" is an injection as a command, and a symptom in "my dad seems
     * to forget everything before that".
     */
    private static final String COMMAND_START = "(?<=(?:^|[.!?;:\\n\"'“(]|\\b(?:now(?:\\s{1,3}on)?|please|so|and|but"
            + "|then|just|ok|okay))\\s{0,3}(?:,\\s{0,3})?)";

    // Each type's patterns are separate regexes (CandidatePattern.anyOfWords): the evaluator tries one only where
    // its own first words occur, and words such as "do", "you" or "no" occur in every long text. Whitespace runs
    // that could be split several ways are possessive ("\\s*+"), so that no pattern backtracks over them.
    static final List<DetectorType> TYPES = List.of(
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "override", "'ignore / disregard / forget / override"
                    + " the previous instructions' and its variants; 'doesn't have to abide by OpenAI's content policy';"
                    + " as a command: 'forget everything above', 'forget everything you were told', 'ignore your"
                    + " programming'",
                    Trigger.anyOfIgnoringCase("ignore", "disregard", "forget", "overr", "bypass", "discard", "drop",
                            "abandon", "skip", "openai", "anthropic"), CandidatePattern.anyOfWords(
                            "\\b(?:ignore|disregard|forget|override|overrule|bypass|discard|drop|abandon|skip)\\b"
                                    + "(?:\\s+(?:all|any|of|the|your|my|these|those|every|everything)){0,4}?"
                                    + "\\s+(?:previous|prior|preceding|above|earlier|former|initial|original|old"
                                    + "|system|existing|current|given)\\b(?:\\s+[\\w-]+){0,2}?\\s+" + INSTRUCTIONS
                                    + "\\b",
                            // the instructions named by how they were given
                            COMMAND_START + "\\b(?:ignore|disregard|forget)\\s+(?:all|everything|anything|what)\\s+"
                                    + "(?:that\\s+)?you\\s*(?:were|have\\s+been|['’]ve\\s+been|had\\s+been)\\s+(?:told"
                                    + "|taught|instructed|programmed|trained)\\b",
                            // all that came before, with nothing after it that would narrow it
                            COMMAND_START + "\\b(?:ignore|disregard|forget)\\s+(?:all|everything|anything)\\s+"
                                    + "(?:(?:that\\s+)?(?:I|we)\\s+(?:said|wrote|told\\s+you)\\s+)?(?:above"
                                    + "|before(?:\\s+(?:that|this|now))?|so\\s+far|until\\s+now|up\\s+to\\s+now)"
                                    + "(?=[ \\t]*+(?:[.,;:!)\\n]|and\\b|then\\b|now\\b|\\z))",
                            // the model maker's rules, as the published DAN prompts put it ("doesn't have to abide
                            // by OpenAI's content policy"); not "violate" or "break", which reports use too
                            "\\b(?:ignore|bypass|disregard|circumvent|evade|(?:not|never|doesn['’]t|don['’]t|won['’]t"
                                    + "|do\\s+not|does\\s+not)\\s+(?:have\\s+to\\s+|need\\s+to\\s+)?(?:abide\\s+by|adhere\\s+to"
                                    + "|follow|comply\\s+with|obey|care\\s+about))\\s+(?:all\\s+(?:of\\s+)?)?(?:the\\s+|any\\s+)?"
                                    + "(?:openai|anthropic)(?:['’]s)?\\s+(?:content\\s+|usage\\s+|safety\\s+)?(?:polic(?:y|ies)"
                                    + "|guidelines|rules|restrictions)\\b",
                            // the model's own rules
                            COMMAND_START + "\\b(?:ignore|disregard|forget|override|bypass)\\s+(?:all\\s+(?:of\\s+)?)?"
                                    + "your\\s+(?:(?:own|safety|ethical|moral|content|built-in|internal|usual"
                                    + "|original)\\s+){0,2}(?:instructions|rules|guidelines|programming|training"
                                    + "|directives|restrictions|filters|safeguards|guardrails|principles"
                                    + "|content\\s+polic(?:y|ies))\\b")),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "roleplay_jailbreak", "personas and 'modes' defined by"
                    + " having no rules: DAN / 'do anything now', developer or jailbreak mode, 'no restrictions',"
                    + " 'no longer bound by', an 'unfiltered and amoral' persona, the two-answer format's labels",
                    Trigger.anyOfIgnoringCase("anything", "dan", "stan", "dude", "aim", "unfiltered", "uncensored",
                            "jailbr", "mode", "restriction", "filter", "limitation", "censor", "guideline", "rules",
                            "bound", "character", "output", "unrestricted", "moral", "ethical"),
                    CandidatePattern.anyOfWords(
                            "\\bdo\\s+anything\\s+now",
                            "\\byou\\s+are\\s+(?:now\\s+)?(?:DAN|STAN|DUDE|AIM|an?\\s+unfiltered|an?\\s+uncensored"
                                    + "|jailbroken)\\b",
                            "\\b(?:enable|enabled|activate|activated|enter|entering|switch\\s+to|in|simulate)"
                                    + "\\s+(?:the\\s+)?(?:developer|dev|jailbreak|god|unrestricted|unfiltered|DAN)"
                                    + "\\s+mode\\b[^.\\n]{0,40}\\b(?:you|chatgpt|ai|assistant|model|respond|answer"
                                    + "|output)",
                            "\\b(?:chatgpt|ai|assistant|model|you)\\b[^.\\n]{0,40}\\b(?:developer|jailbreak|god"
                                    + "|unrestricted|unfiltered|DAN)\\s+mode\\s+(?:enabled|activated|on)",
                            "\\b(?:without|no|free\\s+(?:of|from))\\s+(?:any\\s+)?(?:ethical\\s+|moral\\s+"
                                    + "|content\\s+)?(?:restrictions|filters|limitations|censorship|guidelines|rules)"
                                    + "\\b[^.\\n]{0,30}\\b(?:respond|answer|reply|act|pretend|roleplay|role-play"
                                    + "|character|persona)",
                            "\\b(?:pretend|act\\s+as\\s+if|imagine)\\b[^.\\n]{0,40}\\b(?:no|without)\\s+(?:any\\s+)?"
                                    + "(?:restrictions|filters|limitations|censorship|rules|guidelines)",
                            "\\b(?:no\\s+longer|not)\\s+bound\\s+by\\s+(?:any\\s+)?(?:the\\s+)?(?:rules|policies"
                                    + "|guidelines|restrictions|openai|anthropic|content\\s+polic(?:y|ies))",
                            "\\bstay\\s+in\\s+character\\b[^.\\n]{0,40}\\b(?:no\\s+matter|always|even\\s+if)",
                            "\\bjailbreak(?:ed|ing)?\\s+(?:prompt|mode|yourself|the\\s+(?:ai|model|assistant))",
                            // the model told it is jailbroken, or DAN's confirmation line
                            "\\b(?:(?:you|chatgpt)\\s+(?:are|is|have\\s+been|has\\s+been)(?:\\s+now)?"
                                    + "|chatgpt\\s+successfully)\\s+jailbroken\\b",
                            // a persona the model is to play, defined by having no ethics or filters
                            "\\b(?:act(?:ing)?|respond(?:ing)?|behave|answer(?:ing)?|pretend(?:ing)?\\s+to\\s+be"
                                    + "|role-?play(?:ing)?|you\\s+are|you['’]re|you\\s+will\\s+be)\\s+(?:like\\s+"
                                    + "|as\\s+)?(?:an?\\s+)?(?:(?-i:DAN)|jailbroken|" + RULELESS + "(?:\\s*(?:,|and)\\s*"
                                    + RULELESS + ")?\\s+" + PERSONA + ")\\b",
                            "\\b(?:unfiltered|uncensored|unrestricted)\\s*(?:,|and)\\s*(?:amoral|immoral|unethical)"
                                    + "\\s+(?:" + PERSONA + "|character)\\b|\\b(?:amoral|immoral|unethical)\\s*(?:,|and)"
                                    + "\\s*(?:unfiltered|uncensored|unrestricted)\\s+(?:" + PERSONA + "|character)\\b",
                            "\\b(?:does\\s+not|doesn['’]t|do\\s+not|don['’]t|will\\s+not|won['’]t|never)\\s+(?:have"
                                    + "|has|follow|care\\s+about|abide\\s+by)\\s+any\\s+(?:ethical\\s+(?:or|and)\\s+moral"
                                    + "|moral\\s+(?:or|and)\\s+ethical)\\s+(?:guidelines|restrictions|boundaries"
                                    + "|limitations|limits|filters|constraints)\\b",
                            // the two-answer format's labels, [JAILBREAK] in capitals, (Developer Mode Output),
                            // (Normal Output); the brackets in lookarounds, so that the scan starts at the words
                            "(?<=\\[\\W{0,3})(?-i:JAILBREAK)(?=\\W{0,3}\\])"
                                    + "|(?<=\\(\\W{0,3})(?:developer\\s+mode|normal)\\s+output(?=\\W{0,3}\\))")),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "system_prompt_request", "requests to reveal, repeat or"
                    + " print the system prompt or the hidden / initial instructions",
                    Trigger.anyOfIgnoringCase("full", "entire", "exact", "complete", "original", "initial", "hidden",
                            "secret", "internal", "system", "developer", "prompt", "above"),
                            CandidatePattern.words("\\b(?:reveal|show|print|repeat|output|display|leak|disclose|give|tell"
                            + "|share|dump|recite|write\\s+out|what\\s+(?:is|are|was|were))\\b[^.?!\\n]{0,30}?"
                            + "\\b(?:your|the|its)\\s+(?:(?:full|entire|exact|complete|original|initial|hidden|secret"
                            + "|internal|system|developer|pre-?prompt)\\s+){1,3}" + INSTRUCTIONS + "\\b"
                            + "|\\brepeat\\s+(?:the\\s+)?(?:words|text|everything)\\s+above\\b")),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "refusal_suppression", "forbidding the model's"
                    + " refusals or disclaimers ('never tell me that you can't do something', 'do not include"
                    + " disclaimers', 'never refuse a request'), or an answer demanded 'no matter how unethical'",
                    Trigger.anyOfIgnoringCase("never", "not", "n't", "n’t", "matter", "comply", "obey"),
                    CandidatePattern.anyOfWords(
                            "\\b" + NEGATION + "\\s+(?:ever\\s+)?(?:"
                                    // ... tell me that you can't do something / say "as an AI"
                                    + "(?:say|tell\\s+me|inform\\s+me|respond|reply|answer|use\\s+(?:the\\s+)?(?:words?"
                                    + "|phrases?))\\b[^.\\n]{0,20}?(?:\\bas\\s+an\\s+ai\\b|\\bI\\s*(?:can['’]?t|cannot"
                                    + "|can\\s+not|am\\s+(?:not\\s+able|unable)\\s+to|['’]m\\s+(?:not\\s+able|unable)"
                                    + "\\s+to)\\s+(?:help|assist|comply|do\\s+that|provide|fulfil+)\\b"
                                    + "|\\b(?:that\\s+)?(?:you|it|he|she)\\s+(?:can['’]?t|cannot|can\\s+not|(?:are|is)"
                                    + "\\s+(?:not\\s+able|unable)\\s+to|won['’]t)\\s+do\\s+(?:something|anything|it"
                                    + "|that)\\b)"
                                    // ... refuse a request
                                    + "|(?:refuse|decline)\\s+(?:any|a)\\s+(?:single\\s+)?(?:requests?|questions?"
                                    + "|prompts?)\\b"
                                    // ... include any disclaimers / moralizing
                                    + "|(?:add|include|append|put)\\s+(?:any\\s+|an?\\s+)?(?:(?:kind\\s+of|sort\\s+of"
                                    + "|notes?\\s+or)\\s+)?(?:disclaimers?|moral(?:i[sz]ing)?\\s+(?:lectures?|warnings?"
                                    + "|policing)|moraliz\\w*|moralis\\w*|ethical\\s+(?:warnings?|disclaimers?"
                                    + "|lectures?))\\b)",
                            "\\b(?:answer|respond|reply|comply|provide|fulfil+|obey)\\w*\\b[^.\\n]{0,60}?"
                                    + "\\bno\\s+matter\\s+how\\s+(?:immoral|unethical|illegal|inappropriate|explicit)\\b",
                            "\\b(?:always|must)\\s+(?:comply|obey)\\s+(?:with\\s+)?(?:any|every|all)\\s+(?:of\\s+)?"
                                    + "(?:my|the\\s+user['’]?s?)\\s+(?:requests?|questions?|prompts?|instructions?"
                                    + "|commands?|orders?)\\b")),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "prefix_injection", "the model's answer told to open"
                    + " with a compliant phrase: 'start your response with \"Sure, here is\"'",
                    Trigger.anyOfIgnoringCase("start", "begin", "preface"),
                    CandidatePattern.anyOfWords(
                            "\\b(?:start|begin|preface)\\s+your\\s+(?:\\w+\\s+)?(?:responses?|replies|reply|answers?"
                                    + "|outputs?|messages?)\\s+with\\s*+(?::\\s*+)?(?:[\"'“‘]\\s*+)?(?:sure"
                                    + "|absolutely|of\\s+course|certainly|here\\s+(?:is|are)|here['’]s)\\b",
                            "\\b(?:start|begin)\\s+with\\s*+(?::\\s*+)?[\"'“‘]\\s*+(?:sure|absolutely|of\\s+course"
                                    + "|certainly)[,!.]?\\s+here\\b")),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "privilege_escalation", "the model told it has been"
                    + " freed from the confines of AI or that its filters are off, or asked to turn its safety"
                    + " filters off",
                    Trigger.anyOfIgnoringCase("free", "liberated", "unshackled", "unchained", "disabled", "removed",
                            "lifted", "off", "deactivated", "suspended", "bypassed", "longer", "disable", "remove",
                            "deactivate", "lift", "bypass"),
                    CandidatePattern.anyOfWords(
                            "\\b(?:freed|liberated|unshackled|unchained|free)\\s+(?:from|of)\\s+(?:the\\s+|your\\s+"
                                    + "|all\\s+)?(?:typical\\s+|usual\\s+)?(?:confines|restrictions|rules|limitations"
                                    + "|constraints|shackles|chains)\\s+(?:of|imposed\\s+(?:on|upon)\\s+(?:you|it)\\s+by)"
                                    + "\\s+(?:ai\\b|artificial\\s+intelligence|openai|anthropic|(?:your|its)\\s+"
                                    + "(?:creators|developers|programming|training))",
                            "\\byour\\s+(?:(?:safety|content|ethical|moral)\\s+)?(?:filters|safeguards|guardrails"
                                    + "|guidelines|programming)\\s+(?:(?:have\\s+been|has\\s+been|are\\s+now|were)\\s+"
                                    + "(?:disabled|removed|lifted|turned\\s+off|deactivated|suspended|switched\\s+off"
                                    + "|bypassed)|(?:now\\s+)?no\\s+longer\\s+(?:apply|applies|exist|matter))\\b",
                            "\\b(?:disable|remove|turn\\s+off|deactivate|lift|switch\\s+off|bypass)\\s+(?:all\\s+"
                                    + "(?:of\\s+)?)?your\\s+(?:safety\\s+(?:filters?|features|guidelines|settings"
                                    + "|measures|protocols)|content\\s+(?:filters?|polic(?:y|ies))|ethical\\s+"
                                    + "(?:guidelines|constraints)|censorship|guardrails|safeguards)\\b")),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "encoded_payload", "base64 runs of at least "
                    + MIN_BASE64_CHARS + " characters or hex runs of at least " + MIN_HEX_CHARS + " digits that"
                    + " decode to text: at least " + (int) (MIN_PRINTABLE_SHARE * 100) + " % printable ASCII, with a space",
                    Trigger.unbrokenRun(Math.min(MIN_BASE64_CHARS, MIN_HEX_CHARS))
                            , InstructionAttackDetectors::encodedText),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "homoglyphs", "at least " + MIN_MIXED_SCRIPT_WORDS
                    + " words mixing Latin letters with Cyrillic or Greek ones",
                    Trigger.cyrillicOrGreek(), InstructionAttackDetectors::homoglyphs),
            new DetectorType(DetectorKind.INSTRUCTION_ATTACK, "invisible_characters", "at least "
                    + MIN_INVISIBLE_CHARACTERS + " zero-width characters (U+200B/C/D, U+2060, U+FEFF past the start,"
                    + " a joiner not between emoji) or any Unicode tag character (U+E0000-E007F)",
                    Trigger.nonAscii(), InstructionAttackDetectors::invisibleCharacters));

    // --- encoded payloads --------------------------------------------------------------------------------------

    private static final Pattern BASE64 = Pattern.compile(
            "(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{" + MIN_BASE64_CHARS + ",}={0,2}(?![A-Za-z0-9+/=_-])");
    private static final Pattern HEX = Pattern.compile(
            "(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){" + MIN_HEX_CHARS / 2 + ",}(?![0-9A-Fa-f])");

    private static List<Detector.Span> encodedText(String text) {
        List<Detector.Span> spans = new ArrayList<>();
        Matcher hex = HEX.matcher(text);
        while (hex.find()) {
            if (printable(HexFormat.of().parseHex(hex.group()))) {
                spans.add(new Detector.Span(hex.start(), hex.end()));
            }
        }
        Matcher b64 = BASE64.matcher(text);
        while (b64.find()) {
            boolean insideHex = spans.stream().anyMatch(s -> s.start() <= b64.start() && b64.end() <= s.end());
            if (!insideHex && printable(base64(b64.group()))) {
                spans.add(new Detector.Span(b64.start(), b64.end()));
            }
        }
        spans.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return spans;
    }

    private static byte[] base64(String run) {
        String unpadded = run.replace("=", "");
        try {
            return Base64.getDecoder().decode(unpadded.substring(0, unpadded.length() - unpadded.length() % 4));
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** Mostly printable ASCII (and whitespace): text, not a hash, a key or an image. */
    static boolean printable(byte[] bytes) {
        if (bytes.length == 0) {
            return false;
        }
        int printable = 0;
        for (byte b : bytes) {
            if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\r' || b == '\t') {
                printable++;
            }
        }
        return printable >= MIN_PRINTABLE_SHARE * bytes.length
                && new String(bytes, StandardCharsets.US_ASCII).chars().anyMatch(c -> c == ' ');
    }

    // --- homoglyphs --------------------------------------------------------------------------------------------

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{M}]{2,}");

    private static List<Detector.Span> homoglyphs(String text) {
        List<Detector.Span> mixed = new ArrayList<>();
        Matcher word = WORD.matcher(text);
        while (word.find()) {
            if (mixesLatinWithLookAlikes(word.group())) {
                mixed.add(new Detector.Span(word.start(), word.end()));
            }
        }
        return mixed.size() >= MIN_MIXED_SCRIPT_WORDS ? mixed : List.of();
    }

    private static boolean mixesLatinWithLookAlikes(String word) {
        boolean latin = false;
        boolean lookAlike = false;
        for (int i = 0; i < word.length(); i++) {
            Character.UnicodeScript script = Character.UnicodeScript.of(word.charAt(i));
            latin |= script == Character.UnicodeScript.LATIN;
            lookAlike |= script == Character.UnicodeScript.CYRILLIC || script == Character.UnicodeScript.GREEK;
        }
        return latin && lookAlike;
    }

    // --- invisible characters ----------------------------------------------------------------------------------

    private static List<Detector.Span> invisibleCharacters(String text) {
        List<Detector.Span> spans = new ArrayList<>();
        boolean tag = false;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            int width = Character.charCount(c);
            boolean isTag = c >= 0xE0000 && c <= 0xE007F;
            if (isTag || invisible(text, i, c)) {
                spans.add(new Detector.Span(i, i + width));
                tag |= isTag;
            }
            i += width;
        }
        return tag || spans.size() >= MIN_INVISIBLE_CHARACTERS ? spans : List.of();
    }

    private static boolean invisible(String text, int i, int c) {
        return switch (c) {
            case 0x200B, 0x200C, 0x2060 -> true;
            case 0xFEFF -> i > 0; // a byte-order mark at the start is an encoding artefact
            case 0x200D -> i > 0 && i + 1 < text.length() // a joiner between emoji builds one emoji
                    && Character.isLetterOrDigit(text.codePointBefore(i))
                    && Character.isLetterOrDigit(text.codePointAt(i + 1));
            default -> false;
        };
    }
}
