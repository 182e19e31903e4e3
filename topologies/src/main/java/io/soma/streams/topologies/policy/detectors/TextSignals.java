package io.soma.streams.topologies.policy.detectors;

/**
 * What the char-based {@link Trigger.Signal}s of all detector types ask of a text, from one pass over its chars
 * (the digit-based types share the digit count).
 *
 * @param digits            ASCII digits
 * @param decimalDigits     decimal digits of any script (full-width, Arabic-Indic, ...), ASCII ones included
 * @param longestUnbrokenRun longest run of chars without whitespace
 * @param cyrillicOrGreek   a char in U+0370-U+052F or U+1F00-U+1FFF
 * @param nonAscii          a char above U+007F
 * @param ibanStart         two ASCII capitals followed by two ASCII digits somewhere
 */
public record TextSignals(int digits, int decimalDigits, int longestUnbrokenRun, boolean cyrillicOrGreek, boolean nonAscii,
                          boolean ibanStart) {
    public static TextSignals of(String text) {
        int digits = 0;
        int decimalDigits = 0;
        int longestRun = 0;
        int run = 0;
        char third = 0;
        char second = 0;
        char previous = 0;
        boolean cyrillicOrGreek = false;
        boolean nonAscii = false;
        boolean ibanStart = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean digit = c >= '0' && c <= '9';
            if (digit) {
                digits++;
                ibanStart |= previous >= '0' && previous <= '9' && capital(second) && capital(third);
            }
            third = second;
            second = previous;
            previous = c;
            run = Character.isWhitespace(c) ? 0 : run + 1;
            longestRun = Math.max(longestRun, run);
            if (digit || (c > 0x7f && Character.isDigit(c))) {
                decimalDigits++;
            }
            if (c > 0x7f) {
                nonAscii = true;
                cyrillicOrGreek |= (c >= 0x370 && c <= 0x52f) || (c >= 0x1f00 && c <= 0x1fff);
            }
        }
        return new TextSignals(digits, decimalDigits, longestRun, cyrillicOrGreek, nonAscii, ibanStart);
    }

    private static boolean capital(char c) {
        return c >= 'A' && c <= 'Z';
    }
}
