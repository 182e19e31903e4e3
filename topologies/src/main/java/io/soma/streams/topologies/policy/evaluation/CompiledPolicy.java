package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.detectors.DetectorSelection;
import io.soma.streams.topologies.policy.detectors.DetectorType;
import io.soma.streams.topologies.policy.detectors.TextSignals;
import io.soma.streams.topologies.policy.detectors.Trigger;
import io.soma.streams.topologies.policy.rules.InvalidRulePackException;
import io.soma.streams.topologies.policy.rules.Keywords;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.RegexGuard;
import io.soma.streams.topologies.policy.rules.RegexLiterals;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.RulePackProblem;
import io.soma.streams.topologies.policy.rules.RulePackValidator;
import com.hankcs.algorithm.AhoCorasickDoubleArrayTrie;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A tenant's rule pack plus the constitution's global rules, compiled once: every substring and keyword of
 * every rule sits in one Aho–Corasick automaton (a text is scanned once, whatever the number of rules), regexes
 * are precompiled and run only where their literals occur ({@link RegexPrefilter}), detector rules ({@code pii},
 * {@code secret}, {@code instruction_attack}) hold their selected detector types, whose literal triggers and
 * candidate regexes join the rules' regexes in the prefilter's one scan. Rules are kept in canonical order (name, then global before
 * tenant), which makes evaluation independent of the order rules were written in.
 * Immutable and safe to share between threads.
 */
public final class CompiledPolicy {
    /** How an automaton hit becomes a rule match. */
    enum NeedleKind { SUBSTRING, WHOLE_WORD, WORD_PREFIX }

    /**
     * @param rule       the rule's canonical index
     * @param definition the rule itself, read at every hit
     */
    record Needle(int rule, NeedleKind kind, Rule definition) {
    }

    /** @param regex for a regex rule, else null; @param detectors for a detector rule, else null */
    record CompiledRule(Rule rule, RuleOrigin origin, Pattern regex, DetectorSelection detectors) {
    }

    private final List<CompiledRule> rules;
    /** Every needle text, lower-cased, with what a hit on it means; null when the policy has none. */
    private final AhoCorasickDoubleArrayTrie<Needle[]> automaton;
    private final int[] literalRules;
    private final int[] regexRules;
    private final RegexPrefilter regexPrefilter;
    private final int[] detectorRules;
    /** The selected detector types whose trigger is a literal, with the index of their trigger in the prefilter. */
    private final Map<DetectorType, Integer> literalTriggers;
    /** Whether a selected detector type has a {@link Trigger.Signal}: only then are the text's signals needed. */
    private final boolean signalTriggers;
    /** Whether a selected detector type finds candidates with a regex, which the prefilter's scan then prepares. */
    private final boolean candidateRegexes;
    private final int[] scopedRules;
    private final String tenant;
    private final Long rulePackVersion;
    private final String constitutionHash;
    private final String constitutionVersion;
    private final EvaluationLimits limits;
    private final boolean packNotApplied;

    private CompiledPolicy(List<CompiledRule> rules, String tenant, Long rulePackVersion,
                           String constitutionHash, String constitutionVersion, EvaluationLimits limits,
                           boolean packNotApplied) {
        this.rules = List.copyOf(rules);
        this.limits = limits;
        this.packNotApplied = packNotApplied;
        this.tenant = tenant;
        this.rulePackVersion = rulePackVersion;
        this.constitutionHash = constitutionHash;
        this.constitutionVersion = constitutionVersion;
        Map<String, List<Needle>> byText = new HashMap<>();
        List<Integer> literalRuleIndices = new ArrayList<>();
        List<Integer> regexes = new ArrayList<>();
        List<Integer> detectors = new ArrayList<>();
        List<Integer> scoped = new ArrayList<>();
        for (int i = 0; i < this.rules.size(); i++) {
            Rule rule = this.rules.get(i).rule();
            if (rule.scoped()) {
                scoped.add(i);
            }
            switch (rule.match()) {
                case REGEX -> regexes.add(i);
                case PII, SECRET, INSTRUCTION_ATTACK -> detectors.add(i);
                case SUBSTRING -> {
                    literalRuleIndices.add(i);
                    addNeedle(byText, rule.pattern(), new Needle(i, NeedleKind.SUBSTRING, rule));
                }
                case KEYWORDS -> {
                    literalRuleIndices.add(i);
                    for (String keyword : Keywords.split(rule.pattern())) {
                        NeedleKind kind = Keywords.isPrefix(keyword) ? NeedleKind.WORD_PREFIX : NeedleKind.WHOLE_WORD;
                        addNeedle(byText, Keywords.stem(keyword), new Needle(i, kind, rule));
                    }
                }
            }
        }
        Map<String, Needle[]> needles = new HashMap<>();
        byText.forEach((text, list) -> needles.put(text, list.toArray(Needle[]::new)));
        this.automaton = needles.isEmpty() ? null : new AhoCorasickDoubleArrayTrie<>();
        if (automaton != null) {
            automaton.build(needles);
        }
        this.literalRules = literalRuleIndices.stream().mapToInt(Integer::intValue).toArray();
        this.regexRules = regexes.stream().mapToInt(Integer::intValue).toArray();
        this.detectorRules = detectors.stream().mapToInt(Integer::intValue).toArray();
        List<DetectorType> selected = detectors.stream()
                .flatMap(i -> this.rules.get(i).detectors().types().stream())
                .distinct()
                .toList();
        this.literalTriggers = new HashMap<>();
        List<Trigger.Literals> triggers = new ArrayList<>();
        for (DetectorType type : selected) {
            if (type.trigger() instanceof Trigger.Literals literals) {
                literalTriggers.put(type, triggers.size());
                triggers.add(literals);
            }
        }
        this.signalTriggers = selected.stream().anyMatch(t -> t.trigger() instanceof Trigger.Signal);
        this.regexPrefilter = new RegexPrefilter(regexes.stream().map(i -> this.rules.get(i).regex()).toList(),
                selected.stream().flatMap(t -> t.detector().candidateRegexes().stream()).toList(), triggers);
        this.candidateRegexes = selected.stream().anyMatch(t -> !t.detector().candidateRegexes().isEmpty());
        this.scopedRules = scoped.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@link #compile(RulePack, Constitution, EvaluationLimits)} with the default limits. */
    public static CompiledPolicy compile(RulePack tenantPack, Constitution constitution) {
        return compile(tenantPack, constitution, EvaluationLimits.DEFAULT);
    }

    /**
     * Compiles a tenant pack with the constitution's global rules.
     *
     * @param tenantPack   may be null (the tenant has no pack)
     * @param constitution may be null (no constitution is active yet)
     * @param limits       what evaluating one event against it may cost
     * @throws InvalidRulePackException when the rules fail {@link RulePackValidator}
     */
    public static CompiledPolicy compile(RulePack tenantPack, Constitution constitution, EvaluationLimits limits) {
        List<CompiledRule> compiled = globalRules(constitution);
        if (tenantPack != null) {
            List<RulePackProblem> problems = RulePackValidator.validate(tenantPack);
            if (!problems.isEmpty()) {
                throw new InvalidRulePackException(problems);
            }
            tenantPack.rules().forEach(r -> compiled.add(compiledRule(r, RuleOrigin.TENANT)));
        }
        return inCanonicalOrder(compiled, tenantPack == null ? null : tenantPack.tenant(),
                tenantPack == null ? null : tenantPack.version(), constitution, limits, false);
    }

    /**
     * The constitution's rules for a tenant whose pack cannot be applied (it failed validation, or holds a match kind
     * or action this build cannot read): every evaluation fails closed ({@link Evaluation#RULEPACK_NOT_APPLIED}), as
     * the pack's deny and redact rules are unknown.
     */
    public static CompiledPolicy withPackNotApplied(String tenant, Constitution constitution, EvaluationLimits limits) {
        return inCanonicalOrder(globalRules(constitution), tenant, null, constitution, limits, true);
    }

    private static CompiledPolicy inCanonicalOrder(List<CompiledRule> compiled, String tenant, Long rulePackVersion,
                                                   Constitution constitution, EvaluationLimits limits,
                                                   boolean packNotApplied) {
        compiled.sort(Comparator.comparing((CompiledRule c) -> c.rule().name()).thenComparing(CompiledRule::origin));
        return new CompiledPolicy(compiled, tenant, rulePackVersion, constitution == null ? null : constitution.hash(),
                constitution == null ? null : constitution.version(), limits, packNotApplied);
    }

    private static List<CompiledRule> globalRules(Constitution constitution) {
        List<CompiledRule> compiled = new ArrayList<>();
        if (constitution != null) {
            constitution.rules().forEach(r -> compiled.add(compiledRule(r, RuleOrigin.GLOBAL)));
        }
        return compiled;
    }

    private static CompiledRule compiledRule(Rule rule, RuleOrigin origin) {
        Pattern regex = rule.match() == MatchType.REGEX ? RegexGuard.compile(rule.pattern()) : null;
        DetectorSelection detectors = rule.match().detectorKind() == null ? null
                : DetectorSelection.of(rule.match().detectorKind(), rule.pattern());
        return new CompiledRule(rule, origin, regex, detectors);
    }

    private static void addNeedle(Map<String, List<Needle>> byText, String text, Needle needle) {
        byText.computeIfAbsent(new String(lowerCase(text)), t -> new ArrayList<>()).add(needle);
    }

    /** Char-by-char lower case: unlike {@link String#toLowerCase()} it keeps every index of the original text. */
    static char[] lowerCase(String text) {
        char[] chars = text.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            // ASCII, most of any text, without the Unicode tables' lookup (there the regex fold is the lower case)
            chars[i] = c < 0x80 ? RegexLiterals.fold(c) : Character.toLowerCase(c);
        }
        return chars;
    }

    List<CompiledRule> rules() {
        return rules;
    }

    /** Null when the policy has no substring or keywords rule. */
    AhoCorasickDoubleArrayTrie<Needle[]> automaton() {
        return automaton;
    }

    /** Canonical indices of the rules the automaton finds: substrings and keywords. */
    int[] literalRules() {
        return literalRules;
    }

    /** Canonical indices of the regex rules, in the order of {@link #regexPrefilter()}'s regexes. */
    int[] regexRules() {
        return regexRules;
    }

    RegexPrefilter regexPrefilter() {
        return regexPrefilter;
    }

    int[] detectorRules() {
        return detectorRules;
    }

    /** Whether the regex prefilter's scan has work: a regex rule, a detector's trigger or candidate regex. */
    boolean scansLiterals() {
        return regexRules.length > 0 || !literalTriggers.isEmpty() || candidateRegexes;
    }

    boolean signalTriggers() {
        return signalTriggers;
    }

    /** Whether the detector type's trigger holds in the text of this scan and these signals. */
    boolean triggered(DetectorType type, RegexPrefilter.Scan literals, TextSignals signals) {
        return type.trigger() instanceof Trigger.Signal signal ? signal.holds().test(signals)
                : literals.triggered(literalTriggers.get(type));
    }

    public EvaluationLimits limits() {
        return limits;
    }

    /** Whether the tenant has a pack this policy could not apply ({@link #withPackNotApplied}). */
    public boolean packNotApplied() {
        return packNotApplied;
    }

    /** Rules that apply to this role and tool: the unscoped ones plus the scoped ones that match. */
    int applicableRuleCount(String role, String tool) {
        int count = rules.size() - scopedRules.length;
        for (int i : scopedRules) {
            if (rules.get(i).rule().appliesTo(role, tool)) {
                count++;
            }
        }
        return count;
    }

    public int ruleCount() {
        return rules.size();
    }

    /** The tenant of the pack; null when compiled without one. */
    public String tenant() {
        return tenant;
    }

    /** Version of the tenant pack, for {@code PolicyDecision.rulepack_version}; null without a pack. */
    public Long rulePackVersion() {
        return rulePackVersion;
    }

    /** For {@code PolicyDecision.constitution_hash}; null before any constitution is active. */
    public String constitutionHash() {
        return constitutionHash;
    }

    /** For {@code PolicyDecision.constitution_version}; null before any constitution is active. */
    public String constitutionVersion() {
        return constitutionVersion;
    }
}
