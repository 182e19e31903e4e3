package io.soma.streams.schemas;

/** Measuring and cutting caller-supplied text before a record or an answer echoes it. */
public final class Texts {
    private Texts() {
    }

    /** Whether {@code text} is longer than {@code maxChars}; null is not. */
    public static boolean longerThan(String text, int maxChars) {
        return text != null && text.length() > maxChars;
    }

    /**
     * {@code text} unchanged when at most {@code maxChars} long (null stays null), else its first {@code maxChars}
     * characters and "…", one fewer when the cut would split a surrogate pair.
     */
    public static String cut(String text, int maxChars) {
        if (!longerThan(text, maxChars)) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end) + "…";
    }
}
