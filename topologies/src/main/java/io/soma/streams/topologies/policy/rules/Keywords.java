package io.soma.streams.topologies.policy.rules;

import java.util.Arrays;
import java.util.List;

/**
 * The words of a {@link MatchType#KEYWORDS} pattern: separated by spaces and/or commas; a word matches only as a
 * whole word, and {@code word*} matches any word that starts with {@code word}.
 */
public final class Keywords {
    private Keywords() {
    }

    public static List<String> split(String pattern) {
        return Arrays.stream(pattern.split("[\\s,]+")).filter(w -> !w.isEmpty()).toList();
    }

    public static boolean isPrefix(String keyword) {
        return keyword.endsWith("*");
    }

    public static String stem(String keyword) {
        return isPrefix(keyword) ? keyword.substring(0, keyword.length() - 1) : keyword;
    }

    /** A keyword is letters, digits, {@code _ ' -}, with an optional trailing {@code *}. */
    static boolean wellFormed(String keyword) {
        String stem = stem(keyword);
        return !stem.isEmpty() && stem.chars().allMatch(c -> isWordChar(c) || c == '\'' || c == '-');
    }

    /** Word characters as regex {@code \b} sees them: a keyword match may not touch one on either side. */
    public static boolean isWordChar(int c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
