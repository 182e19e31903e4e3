package io.soma.streams.topologies.policy.detectors;

import java.util.HashMap;
import java.util.Map;

/** The arithmetic the detectors validate with. */
final class Checksums {
    private Checksums() {
    }

    /** The Luhn (mod 10) check every payment card number passes. */
    static boolean luhn(String digits) {
        int sum = 0;
        boolean doubled = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (doubled) {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /** Shannon entropy of the characters of {@code s}, in bits per character. */
    static double shannonEntropy(String s) {
        Map<Character, Integer> counts = new HashMap<>();
        for (int i = 0; i < s.length(); i++) {
            counts.merge(s.charAt(i), 1, Integer::sum);
        }
        double bits = 0;
        for (int count : counts.values()) {
            double p = count / (double) s.length();
            bits -= p * Math.log(p) / Math.log(2);
        }
        return bits;
    }
}
