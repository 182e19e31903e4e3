package io.soma.streams.topologies.slm;

/** What an alert watches; {@link #wireName()} is the {@code metric} field of {@code SlmAlert}. */
public enum AlertMetric {
    /** p95 end-to-end latency of the window, in ms: warns and breaches. */
    LATENCY_P95("latency_p95"),
    /** errors / requests of the window: breaches only. */
    ERROR_RATE("error_rate");

    private final String wireName;

    AlertMetric(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
