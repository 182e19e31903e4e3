package io.soma.streams.topologies.policy.detectors;

import java.util.List;
import java.util.function.Predicate;

/**
 * A condition every match of a detector needs in the whole text (a literal it starts with, enough digits), checked
 * before its candidate scan: most texts hold no card number, key or hidden character, and a scan for one
 * character or literal ({@link String#indexOf}) is much cheaper than a regex pass. It never changes what a
 * detector finds, only whether its scan runs.
 */
@FunctionalInterface
interface Prefilter extends Predicate<String> {
    /** One of these literals occurs, case-sensitively. */
    static Prefilter anyOf(String... literals) {
        List<String> list = List.of(literals);
        return text -> list.stream().anyMatch(text::contains);
    }

    /** One of these lower-case literals occurs in the text lower-cased (for the case-insensitive patterns). */
    static Prefilter anyOfIgnoringCase(String... lowerCaseLiterals) {
        List<String> list = List.of(lowerCaseLiterals);
        return text -> {
            char[] lower = text.toCharArray();
            for (int i = 0; i < lower.length; i++) {
                lower[i] = Character.toLowerCase(lower[i]);
            }
            String lowered = new String(lower);
            return list.stream().anyMatch(lowered::contains);
        };
    }

    /** A run of at least this many characters without whitespace (what any long encoded blob is). */
    static Prefilter unbrokenRun(int atLeast) {
        return text -> {
            int run = 0;
            for (int i = 0; i < text.length(); i++) {
                run = Character.isWhitespace(text.charAt(i)) ? 0 : run + 1;
                if (run >= atLeast) {
                    return true;
                }
            }
            return false;
        };
    }

    /** A Cyrillic or Greek letter (the blocks U+0370-U+052F and Greek Extended U+1F00-U+1FFF). */
    static Prefilter cyrillicOrGreek() {
        return text -> text.chars().anyMatch(c -> (c >= 0x370 && c <= 0x52f) || (c >= 0x1f00 && c <= 0x1fff));
    }

    /** At least this many ASCII digits. */
    static Prefilter digits(int atLeast) {
        return text -> {
            int digits = 0;
            for (int i = 0; i < text.length() && digits < atLeast; i++) {
                char c = text.charAt(i);
                if (c >= '0' && c <= '9') {
                    digits++;
                }
            }
            return digits >= atLeast;
        };
    }

    /** A character outside ASCII. */
    static Prefilter nonAscii() {
        return text -> text.chars().anyMatch(c -> c > 0x7f);
    }

    /** The detector, its scan skipped when the text fails this prefilter. */
    default Detector guarding(Detector detector) {
        return text -> test(text) ? detector.find(text) : List.of();
    }
}
