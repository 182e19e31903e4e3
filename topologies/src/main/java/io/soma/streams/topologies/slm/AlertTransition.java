package io.soma.streams.topologies.slm;

import java.util.Locale;

/**
 * A change of one alert's state, to be emitted once on {@code slm.alerts}.
 *
 * @param value     the window's measurement that caused it (ms for latency, a fraction for error rate)
 * @param threshold the threshold of the new level that the value exceeds; {@code null} when resolved
 */
public record AlertTransition(AlertMetric metric, AlertLevel previousLevel, AlertLevel level, double value,
                              Double threshold) {

    public enum Kind {
        /** from OK to WARNING or BREACH */
        RAISED,
        /** from WARNING to BREACH */
        ESCALATED,
        /** from BREACH to WARNING: still alerting, less severely */
        DEESCALATED,
        /** back to OK */
        RESOLVED
    }

    public Kind kind() {
        if (level == AlertLevel.OK) {
            return Kind.RESOLVED;
        }
        if (previousLevel == AlertLevel.OK) {
            return Kind.RAISED;
        }
        return level == AlertLevel.BREACH ? Kind.ESCALATED : Kind.DEESCALATED;
    }

    /** A one-line human-readable account, for {@code SlmAlert.message}. */
    public String message(String key) {
        String measured = metric == AlertMetric.LATENCY_P95
                ? String.format(Locale.ROOT, "p95 latency %.0f ms", value)
                : String.format(Locale.ROOT, "error rate %.2f %%", value * 100);
        String limit = threshold == null ? "" : metric == AlertMetric.LATENCY_P95
                ? String.format(Locale.ROOT, " > %.0f ms", threshold)
                : String.format(Locale.ROOT, " > %.2f %%", threshold * 100);
        return key + " " + metric.wireName() + " " + kind().name().toLowerCase(Locale.ROOT)
                + " (" + previousLevel + " → " + level + "): " + measured + limit;
    }
}
