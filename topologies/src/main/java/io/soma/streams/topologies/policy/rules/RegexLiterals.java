package io.soma.streams.topologies.policy.rules;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What every match of a policy regex must contain, read from the pattern, so that the evaluator runs a regex only
 * where its literals occur in the text. Literals are {@link #fold folded} the way {@link RegexGuard#FLAGS} compare
 * characters, and only ASCII ones are taken (a non-ASCII character in a pattern counts as "any character"), so
 * inline case flags ({@code (?i)}, {@code (?-i:…)}) change nothing here. A construct this reader does not know
 * (other inline flags, octal or hex escapes, ...) makes it give up: {@link #NONE}, the regex then runs on every
 * text, as it always did.
 *
 * @param prefixes  every match starts with one of these; null when unknown
 * @param required  every match contains one of each set
 * @param maxLength no match is longer than this many chars; {@link #UNBOUNDED} when it may be
 */
public record RegexLiterals(Set<String> prefixes, List<Set<String>> required, int maxLength) {
    public static final int UNBOUNDED = -1;
    public static final RegexLiterals NONE = new RegexLiterals(null, List.of(), UNBOUNDED);
    /** Largest literal set built by combining alternatives; beyond it, the literals found so far are kept. */
    private static final int MAX_SET = 256;
    /** Chars one "any character" item may match: a supplementary code point is two. */
    private static final int ANY_CHAR = 2;
    private static final Set<String> EMPTY_STRING = Set.of("");
    /** Inline flags that only change how letters compare: {@code (?i)}, {@code (?iu:}, {@code (?-i)}. */
    private static final Pattern CASE_FLAGS = Pattern.compile("\\?(?:[iu]+(?:-[iu]+)?|-[iu]+)[:)]");
    private static final Set<String> DIGITS = Set.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    public RegexLiterals {
        prefixes = prefixes == null ? null : Set.copyOf(prefixes);
        required = List.copyOf(required);
    }

    public static RegexLiterals of(String regex) {
        try {
            Parser parser = new Parser(regex);
            Info info = parser.alternation();
            if (parser.i != regex.length()) {
                return NONE;
            }
            List<Set<String>> required = new ArrayList<>(new LinkedHashSet<>(info.required()));
            return new RegexLiterals(info.prefixes(), required, info.maxLength());
        } catch (Unsupported | IndexOutOfBoundsException e) {
            return NONE;
        }
    }

    /** Whether the evaluator can skip the regex on some texts. */
    public boolean filters() {
        return prefixes != null || !required.isEmpty();
    }

    /**
     * A char as {@code CASE_INSENSITIVE | UNICODE_CASE} compares it: a text char matches an ASCII pattern char
     * exactly when both fold to the same char.
     */
    public static char fold(char c) {
        if (c < 128) {
            // the same for ASCII, without the two case-table lookups: the evaluator folds every char of a text
            return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }
        return Character.toLowerCase(Character.toUpperCase(c));
    }

    /** The text's chars, each {@link #fold folded}; indices are those of the text. */
    public static char[] fold(String text) {
        char[] chars = text.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            chars[i] = fold(chars[i]);
        }
        return chars;
    }

    private static final class Unsupported extends RuntimeException {
        Unsupported() {
            super(null, null, false, false);
        }
    }

    /**
     * What is known of the strings a part of the pattern matches.
     *
     * @param exact every string it can match (folded), when there are few
     */
    private record Info(Set<String> exact, Set<String> prefixes, List<Set<String>> required, int maxLength) {
        static Info ofExact(Set<String> strings) {
            int longest = strings.stream().mapToInt(String::length).max().orElse(0);
            boolean nonEmpty = !strings.contains("");
            return new Info(strings, nonEmpty ? strings : null, nonEmpty ? List.of(strings) : List.of(), longest);
        }

        static Info anyChar(int maxLength) {
            return new Info(null, null, List.of(), maxLength);
        }

        /** The required set that narrows most: longest shortest literal, then fewest literals. */
        Set<String> best() {
            Set<String> best = null;
            for (Set<String> set : required) {
                if (best == null || shortest(set) > shortest(best)
                        || (shortest(set) == shortest(best) && set.size() < best.size())) {
                    best = set;
                }
            }
            return best;
        }

        private static int shortest(Set<String> set) {
            return set.stream().mapToInt(String::length).min().orElse(0);
        }
    }

    /** Capped as a repetition's length is: two large bounds must not add up to a negative (unknown) length. */
    private static int addLengths(int a, int b) {
        return a == UNBOUNDED || b == UNBOUNDED ? UNBOUNDED : (int) Math.min(Integer.MAX_VALUE / 2, (long) a + b);
    }

    private static Set<String> product(Set<String> left, Set<String> right) {
        Set<String> out = new LinkedHashSet<>();
        for (String l : left) {
            for (String r : right) {
                out.add(l + r);
            }
        }
        return out;
    }

    /** Literals of consecutive items are combined while the combinations stay few. */
    private static final class Sequence {
        private Set<String> run = EMPTY_STRING;
        private boolean leading = true;
        private boolean exact = true;
        private Set<String> prefixes;
        private final List<Set<String>> required = new ArrayList<>();
        private int maxLength;

        void add(Info item) {
            maxLength = addLengths(maxLength, item.maxLength());
            if (item.exact() != null) {
                if ((long) run.size() * item.exact().size() <= MAX_SET) {
                    run = product(run, item.exact());
                } else {
                    exact = false;
                    endRun();
                    run = item.exact();
                }
                return;
            }
            exact = false;
            if (leading && run.equals(EMPTY_STRING)) {
                prefixes = item.prefixes();
            } else {
                endRun();
            }
            leading = false;
            required.addAll(item.required());
            run = EMPTY_STRING;
        }

        private void endRun() {
            if (!run.contains("")) {
                required.add(run);
                if (leading) {
                    prefixes = run;
                }
            }
            leading = false;
        }

        Info build() {
            if (exact) {
                return Info.ofExact(run);
            }
            if (!run.equals(EMPTY_STRING)) {
                endRun();
            }
            return new Info(null, prefixes, required, maxLength);
        }
    }

    /** A recursive-descent reader of the {@link java.util.regex.Pattern} syntax policy regexes use. */
    private static final class Parser {
        private final String regex;
        private int i;

        Parser(String regex) {
            this.regex = regex;
        }

        Info alternation() {
            List<Info> alternatives = new ArrayList<>();
            alternatives.add(sequence());
            while (i < regex.length() && regex.charAt(i) == '|') {
                i++;
                alternatives.add(sequence());
            }
            return alternatives.size() == 1 ? alternatives.get(0) : union(alternatives);
        }

        private static Info union(List<Info> alternatives) {
            Set<String> exact = new LinkedHashSet<>();
            Set<String> prefixes = new LinkedHashSet<>();
            Set<String> required = new LinkedHashSet<>();
            int maxLength = 0;
            for (Info a : alternatives) {
                if (exact != null && a.exact() != null) {
                    exact.addAll(a.exact());
                } else {
                    exact = null;
                }
                if (prefixes != null && a.prefixes() != null) {
                    prefixes.addAll(a.prefixes());
                } else {
                    prefixes = null;
                }
                Set<String> best = a.best();
                if (required != null && best != null) {
                    required.addAll(best);
                } else {
                    required = null;
                }
                maxLength = maxLength == UNBOUNDED || a.maxLength() == UNBOUNDED
                        ? UNBOUNDED : Math.max(maxLength, a.maxLength());
            }
            if (exact != null && exact.size() <= MAX_SET) {
                return Info.ofExact(exact);
            }
            return new Info(null, prefixes, required == null ? List.of() : List.of(required), maxLength);
        }

        private Info sequence() {
            Sequence sequence = new Sequence();
            while (i < regex.length() && regex.charAt(i) != '|' && regex.charAt(i) != ')') {
                sequence.add(quantified(atom()));
            }
            return sequence.build();
        }

        private Info atom() {
            char c = regex.charAt(i);
            switch (c) {
                case '(':
                    return group();
                case '[':
                    return charClass();
                case '\\':
                    return escape();
                case '.':
                    i++;
                    return Info.anyChar(ANY_CHAR);
                case '^':
                case '$':
                    i++;
                    return Info.ofExact(EMPTY_STRING);
                case '*':
                case '+':
                case '?':
                case '{':
                    throw new Unsupported();
                default:
                    i++;
                    return literal(c);
            }
        }

        private static Info literal(char c) {
            if (c < 128) {
                return Info.ofExact(Set.of(String.valueOf(fold(c))));
            }
            return Info.anyChar(ANY_CHAR);
        }

        private Info group() {
            i++;
            boolean zeroWidth = false;
            if (regex.charAt(i) == '?') {
                Matcher caseFlags = CASE_FLAGS.matcher(regex).region(i, regex.length());
                String head = regex.substring(i, Math.min(regex.length(), i + 3));
                if (head.startsWith("?:") || head.startsWith("?>")) {
                    i += 2;
                } else if (head.startsWith("?=") || head.startsWith("?!")) {
                    i += 2;
                    zeroWidth = true;
                } else if (head.equals("?<=") || head.equals("?<!")) {
                    i += 3;
                    zeroWidth = true;
                } else if (caseFlags.lookingAt()) {
                    // literals are folded whatever the case flags say: (?i) reads as nothing, (?i: as (?:
                    i = caseFlags.end();
                    if (regex.charAt(i - 1) == ')') {
                        return Info.ofExact(EMPTY_STRING);
                    }
                } else if (head.startsWith("?<")) {
                    int close = regex.indexOf('>', i);
                    if (close < 0) {
                        throw new Unsupported();
                    }
                    i = close + 1;
                } else {
                    throw new Unsupported();
                }
            }
            Info inner = alternation();
            if (regex.charAt(i) != ')') {
                throw new Unsupported();
            }
            i++;
            return zeroWidth ? Info.ofExact(EMPTY_STRING) : inner;
        }

        private Info escape() {
            char c = regex.charAt(i + 1);
            i += 2;
            return switch (c) {
                case 'b', 'B', 'A', 'z', 'Z', 'G' -> Info.ofExact(EMPTY_STRING);
                case 'd' -> Info.ofExact(DIGITS);
                case 'w', 's', 'h', 'v' -> Info.anyChar(1);
                case 'D', 'W', 'S', 'H', 'V' -> Info.anyChar(ANY_CHAR);
                case 'p', 'P' -> {
                    skipPropertyName();
                    yield Info.anyChar(ANY_CHAR);
                }
                case 't' -> literal('\t');
                case 'n' -> literal('\n');
                case 'r' -> literal('\r');
                case 'f' -> literal('\f');
                case 'Q' -> quoted();
                default -> {
                    if (Character.isLetterOrDigit(c)) {
                        throw new Unsupported();
                    }
                    yield literal(c);
                }
            };
        }

        private void skipPropertyName() {
            if (regex.charAt(i) == '{') {
                int close = regex.indexOf('}', i);
                if (close < 0) {
                    throw new Unsupported();
                }
                i = close + 1;
            } else {
                i++;
            }
        }

        private Info quoted() {
            int end = regex.indexOf("\\E", i);
            String text = end < 0 ? regex.substring(i) : regex.substring(i, end);
            i = end < 0 ? regex.length() : end + 2;
            Sequence sequence = new Sequence();
            text.chars().forEach(c -> sequence.add(literal((char) c)));
            return sequence.build();
        }

        /** A class of single ASCII chars, digits or small ranges becomes its literals; any other matches "a char". */
        private Info charClass() {
            i++;
            boolean simple = regex.charAt(i) != '^';
            if (!simple) {
                i++;
            }
            if (regex.charAt(i) == ']') {
                throw new Unsupported();
            }
            Set<String> chars = new LinkedHashSet<>();
            while (regex.charAt(i) != ']') {
                char c = regex.charAt(i);
                if (c == '[' || (c == '&' && regex.charAt(i + 1) == '&')) {
                    throw new Unsupported();
                }
                int first = classChar();
                if (first == CLASS_SET) {
                    simple = false;
                    continue;
                }
                if (first == DIGIT_SET) {
                    chars.addAll(DIGITS);
                    continue;
                }
                if (regex.charAt(i) == '-' && regex.charAt(i + 1) != ']') {
                    i++;
                    int last = classChar();
                    if (last < 0 || !smallRange((char) first, (char) last)) {
                        simple = false;
                        continue;
                    }
                    for (char r = (char) first; r <= last; r++) {
                        chars.add(String.valueOf(fold(r)));
                    }
                } else if (first < 128) {
                    chars.add(String.valueOf(fold((char) first)));
                } else {
                    simple = false;
                }
            }
            i++;
            return simple ? Info.ofExact(chars) : Info.anyChar(ANY_CHAR);
        }

        private static final int CLASS_SET = -1;
        private static final int DIGIT_SET = -2;

        /** The next char of a class, or {@link #CLASS_SET} / {@link #DIGIT_SET} for an escaped class. */
        private int classChar() {
            char c = regex.charAt(i++);
            if (c != '\\') {
                return c;
            }
            char e = regex.charAt(i++);
            switch (e) {
                case 'd':
                    return DIGIT_SET;
                case 'w', 's', 'h', 'v', 'D', 'W', 'S', 'H', 'V':
                    return CLASS_SET;
                case 'p', 'P':
                    skipPropertyName();
                    return CLASS_SET;
                case 't':
                    return '\t';
                case 'n':
                    return '\n';
                case 'r':
                    return '\r';
                case 'f':
                    return '\f';
                default:
                    if (Character.isLetterOrDigit(e)) {
                        throw new Unsupported();
                    }
                    return e;
            }
        }

        private static boolean smallRange(char first, char last) {
            boolean sameKind = (Character.isLowerCase(first) && Character.isLowerCase(last))
                    || (Character.isUpperCase(first) && Character.isUpperCase(last))
                    || (Character.isDigit(first) && Character.isDigit(last));
            return first < 128 && last < 128 && first <= last && sameKind;
        }

        private Info quantified(Info item) {
            if (i >= regex.length()) {
                return item;
            }
            char c = regex.charAt(i);
            int min;
            int max;
            if (c == '*' || c == '+' || c == '?') {
                i++;
                min = c == '+' ? 1 : 0;
                max = c == '?' ? 1 : UNBOUNDED;
            } else if (c == '{') {
                int close = regex.indexOf('}', i);
                String body = close < 0 ? "" : regex.substring(i + 1, close);
                if (!body.matches("\\d{1,6}(,\\d{0,6})?")) {
                    throw new Unsupported();
                }
                i = close + 1;
                String[] bounds = body.split(",", -1);
                min = Integer.parseInt(bounds[0]);
                max = bounds.length == 1 ? min : bounds[1].isEmpty() ? UNBOUNDED : Integer.parseInt(bounds[1]);
            } else {
                return item;
            }
            if (i < regex.length() && (regex.charAt(i) == '?' || regex.charAt(i) == '+')) {
                i++;
            }
            return repeated(item, min, max);
        }

        private static Info repeated(Info item, int min, int max) {
            if (min == 1 && max == 1) {
                return item;
            }
            int maxLength = max == UNBOUNDED || item.maxLength() == UNBOUNDED
                    ? UNBOUNDED : (int) Math.min(Integer.MAX_VALUE / 2, (long) item.maxLength() * max);
            if (min == 0 && max == 1 && item.exact() != null) {
                Set<String> optional = new LinkedHashSet<>(item.exact());
                optional.add("");
                return Info.ofExact(optional);
            }
            if (min == 0) {
                return new Info(null, null, List.of(), maxLength);
            }
            return new Info(null, item.prefixes(), item.required(), maxLength);
        }
    }
}
