package io.soma.streams.topologies.slm;

/**
 * The score of a serving window (docs/slm-metrics.md, "Score"): the mean of three components, each
 * capped at 2, where 1 means "on target" (p95 of 1.5 s, 50 requests/s, no errors).
 */
public final class SlmScore {
    static final double TARGET_P95_MS = 1500;
    static final double TARGET_REQUESTS_PER_SECOND = 50;
    static final double ERROR_RATE_BUDGET = 0.02;
    private static final double CAP = 2;

    private SlmScore() {
    }

    /** {@code min(1500 ms / p95, 2)}; a p95 of 0 ms (faster than the clock) earns the cap. */
    public static double latencyComponent(double p95Ms) {
        return p95Ms <= 0 ? CAP : Math.min(TARGET_P95_MS / p95Ms, CAP);
    }

    /** {@code min(rps / 50, 2)}. */
    public static double throughputComponent(double requestsPerSecond) {
        return Math.min(requestsPerSecond / TARGET_REQUESTS_PER_SECOND, CAP);
    }

    /** {@code clamp(1 − error_rate / 0.02, 0, 2)}: 0 from 2 % errors up. */
    public static double errorComponent(double errorRate) {
        return Math.max(0, Math.min(1 - errorRate / ERROR_RATE_BUDGET, CAP));
    }

    /**
     * The score, or {@code null} when the window has no latency (no successful request): a missing p95 is
     * unknown, not good or bad, so no score is made up for it.
     */
    public static Double score(Double p95Ms, double requestsPerSecond, double errorRate) {
        if (p95Ms == null) {
            return null;
        }
        return (latencyComponent(p95Ms) + throughputComponent(requestsPerSecond) + errorComponent(errorRate)) / 3;
    }
}
