package io.soma.streams.topologies.slm;

import java.util.Objects;

/** The alert levels of one model@provider, kept in a store between windows. */
public record AlertState(AlertLevel latencyP95, AlertLevel errorRate) {
    /** Where every key starts: nothing raised. */
    public static final AlertState ALL_OK = new AlertState(AlertLevel.OK, AlertLevel.OK);
    private static final byte FORMAT_V1 = 1;

    public AlertState {
        Objects.requireNonNull(latencyP95, "latencyP95");
        Objects.requireNonNull(errorRate, "errorRate");
    }

    public AlertLevel level(AlertMetric metric) {
        return metric == AlertMetric.LATENCY_P95 ? latencyP95 : errorRate;
    }

    public AlertState with(AlertMetric metric, AlertLevel level) {
        return metric == AlertMetric.LATENCY_P95 ? new AlertState(level, errorRate) : new AlertState(latencyP95, level);
    }

    /** Store format, version 1: byte {@code 1}, then the latency and the error-rate level as one byte each (0 OK, 1 WARNING, 2 BREACH). */
    public byte[] toBytes() {
        return new byte[]{FORMAT_V1, (byte) latencyP95.ordinal(), (byte) errorRate.ordinal()};
    }

    public static AlertState fromBytes(byte[] bytes) {
        if (bytes.length != 3 || bytes[0] != FORMAT_V1) {
            throw new IllegalArgumentException("not an alert state of format version " + FORMAT_V1);
        }
        return new AlertState(level(bytes[1]), level(bytes[2]));
    }

    private static AlertLevel level(byte code) {
        AlertLevel[] levels = AlertLevel.values();
        if (code < 0 || code >= levels.length) {
            throw new IllegalArgumentException("unknown alert level code " + code);
        }
        return levels[code];
    }
}
