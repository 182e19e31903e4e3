package io.soma.streams.topologies.runtime;

/** Cutting caller-supplied text before a record or an answer echoes it. */
public final class Texts {
    private Texts() {
    }

    /**
     * {@code text} unchanged when at most {@code maxChars} long (null stays null), else its first {@code maxChars}
     * characters and "…", one fewer when the cut would split a surrogate pair.
     */
    public static String cut(String text, int maxChars) {
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end) + "…";
    }
}
