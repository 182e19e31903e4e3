package io.soma.streams.topologies.policy;

import java.util.regex.Pattern;

/**
 * Constitution versions are dot-separated whole numbers ({@code 3}, {@code 1.0.0}, {@code 2025.6.1}), compared
 * number by number, a missing part counting as 0: {@code 1.10 > 1.9}, {@code 1.0 == 1.0.0}. Pre-release suffixes
 * are refused: a bundle either is newer or is not.
 */
public final class ConstitutionVersion {
    private static final Pattern FORMAT = Pattern.compile("\\d{1,18}(\\.\\d{1,18}){0,7}");

    private ConstitutionVersion() {
    }

    public static boolean isValid(String version) {
        return version != null && FORMAT.matcher(version).matches();
    }

    /** Negative, zero or positive as {@code a} is older than, the same as, or newer than {@code b}. */
    public static int compare(String a, String b) {
        if (!isValid(a) || !isValid(b)) {
            throw new IllegalArgumentException("not a constitution version: " + (isValid(a) ? b : a));
        }
        String[] left = a.split("\\.");
        String[] right = b.split("\\.");
        for (int i = 0; i < Math.max(left.length, right.length); i++) {
            long l = i < left.length ? Long.parseLong(left[i]) : 0;
            long r = i < right.length ? Long.parseLong(right[i]) : 0;
            if (l != r) {
                return Long.compare(l, r);
            }
        }
        return 0;
    }
}
