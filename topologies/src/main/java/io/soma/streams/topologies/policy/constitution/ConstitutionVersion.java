package io.soma.streams.topologies.policy.constitution;

import java.util.regex.Pattern;

/**
 * Constitution versions are one to three dot-separated whole numbers ({@code 3}, {@code 1.0.0}, {@code 2025.6.1}),
 * each at most {@value #MAX_PART} and written without leading zeros, compared number by number, a missing part
 * counting as 0: {@code 1.10 > 1.9}, {@code 1.0 == 1.0.0}. The bound keeps a version from being so large that no
 * later one could ever be newer; pre-release suffixes are refused: a bundle either is newer or is not.
 */
public final class ConstitutionVersion {
    public static final int MAX_PART = 999_999;
    public static final int MAX_PARTS = 3;
    private static final String PART = "(0|[1-9]\\d{0,5})";
    private static final Pattern FORMAT = Pattern.compile(PART + "(\\." + PART + "){0," + (MAX_PARTS - 1) + "}");
    /** What a refusal tells the publisher. */
    public static final String DESCRIPTION = "1 to " + MAX_PARTS + " dot-separated whole numbers from 0 to " + MAX_PART
            + " without leading zeros (e.g. 1.4.2)";

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
        for (int i = 0; i < MAX_PARTS; i++) {
            int l = i < left.length ? Integer.parseInt(left[i]) : 0;
            int r = i < right.length ? Integer.parseInt(right[i]) : 0;
            if (l != r) {
                return Integer.compare(l, r);
            }
        }
        return 0;
    }
}
