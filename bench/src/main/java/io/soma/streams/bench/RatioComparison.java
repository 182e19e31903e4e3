package io.soma.streams.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares a run's ratios with the baseline's. Every ratio is "higher is better" (how many times faster the code
 * under test is than what it is measured against in the same run), so a ratio regressed when it fell below the
 * baseline by more than its noise band, a fraction of the baseline value. Each ratio has a band of its own: under
 * load some ratios spread far more than others (docs/benchmarks.md, "Regression check").
 */
final class RatioComparison {
    /** A ratio that fell: {@code change} is current ÷ baseline − 1 (negative). */
    record Regression(String name, double baseline, double current, double change) {
    }

    /** What a run did against the baseline; {@code missing}: baseline ratios the run did not produce. */
    record Outcome(List<Regression> regressions, List<String> missing, List<String> unbaselined) {
        boolean passed() {
            return regressions.isEmpty() && missing.isEmpty();
        }
    }

    private RatioComparison() {
    }

    static Outcome compare(Map<String, Double> baseline, Map<String, Double> bands, Map<String, Double> current) {
        List<Regression> regressions = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Double> entry : new TreeMap<>(baseline).entrySet()) {
            Double band = bands.get(entry.getKey());
            if (band == null || band < 0 || band >= 1) {
                throw new IllegalArgumentException("the noise band of " + entry.getKey()
                        + " must be a fraction in [0, 1): " + band);
            }
            Double now = current.get(entry.getKey());
            if (now == null) {
                missing.add(entry.getKey());
            } else if (now < entry.getValue() * (1 - band)) {
                regressions.add(new Regression(entry.getKey(), entry.getValue(), now, now / entry.getValue() - 1));
            }
        }
        List<String> unbaselined = new TreeMap<>(current).keySet().stream().filter(n -> !baseline.containsKey(n)).toList();
        return new Outcome(regressions, missing, unbaselined);
    }
}
