package io.soma.streams.topologies.policy.detectors;

import io.soma.streams.topologies.policy.rules.RegexLiterals;

import java.util.List;
import java.util.function.Predicate;

/**
 * A condition every match of a detector type needs in the whole text (a literal it contains, enough digits), so
 * its candidate scan runs only on texts that meet it: most texts hold no card number, key or hidden character.
 * It never changes what a detector finds, only whether its scan runs. The evaluator checks the triggers of all a
 * policy's detectors in one go: the literals in the same Aho–Corasick scan as its regexes' literals, the signals
 * from one pass over the chars ({@link TextSignals}).
 */
public sealed interface Trigger {
    /** Whether the text meets it, checked on its own (the evaluator checks it from its shared scan instead). */
    boolean holdsIn(String text);

    /**
     * One of these literals occurs: case-sensitively, or with {@code ignoreCase} as the detector's
     * {@code CASE_INSENSITIVE | UNICODE_CASE} regex compares chars ({@link RegexLiterals#fold}).
     */
    record Literals(List<String> literals, boolean ignoreCase) implements Trigger {
        public Literals {
            literals = List.copyOf(literals);
        }

        @Override
        public boolean holdsIn(String text) {
            String searched = ignoreCase ? new String(RegexLiterals.fold(text)) : text;
            return literals.stream().anyMatch(searched::contains);
        }

        /** Whether one of the literals occurs at {@code [start, end)}, where the folded text holds one of them. */
        public boolean occursAt(String text, int start, int end) {
            return ignoreCase || literals.stream().anyMatch(l -> l.length() == end - start
                    && text.startsWith(l, start));
        }
    }

    /** A property of the text's chars. */
    record Signal(Predicate<TextSignals> holds) implements Trigger {
        @Override
        public boolean holdsIn(String text) {
            return holds.test(TextSignals.of(text));
        }
    }

    static Trigger anyOf(String... literals) {
        return new Literals(List.of(literals), false);
    }

    /** For the case-insensitive patterns: lower-case literals. */
    static Trigger anyOfIgnoringCase(String... lowerCaseLiterals) {
        return new Literals(List.of(lowerCaseLiterals), true);
    }

    /** At least this many ASCII digits. */
    static Trigger digits(int atLeast) {
        return new Signal(s -> s.digits() >= atLeast);
    }

    /** At least this many decimal digits of any script: what a matcher reading {@code \p{Nd}} needs. */
    static Trigger decimalDigits(int atLeast) {
        return new Signal(s -> s.decimalDigits() >= atLeast);
    }

    /** A run of at least this many characters without whitespace (what any long encoded blob is). */
    static Trigger unbrokenRun(int atLeast) {
        return new Signal(s -> s.longestUnbrokenRun() >= atLeast);
    }

    /** A Cyrillic or Greek letter (the blocks U+0370-U+052F and Greek Extended U+1F00-U+1FFF). */
    static Trigger cyrillicOrGreek() {
        return new Signal(TextSignals::cyrillicOrGreek);
    }

    /** A character outside ASCII. */
    static Trigger nonAscii() {
        return new Signal(TextSignals::nonAscii);
    }

    /** Two ASCII capitals then two digits, as an IBAN starts. */
    static Trigger ibanStart() {
        return new Signal(TextSignals::ibanStart);
    }
}
