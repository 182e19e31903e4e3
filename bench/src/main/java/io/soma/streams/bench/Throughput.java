package io.soma.streams.bench;

/**
 * What a throughput phase saw: when it started, when the first progress became visible (and how many records it
 * covered), and when the last record was done.
 */
record Throughput(long records, long startNanos, long firstNanos, long firstBatch, long lastNanos) {
    double wallPerSecond() {
        return records / seconds(lastNanos - startNanos);
    }

    /** From the first visible progress to the last: startup (JVM, group join, state restore) excluded. */
    double steadyPerSecond() {
        return (records - firstBatch) / seconds(lastNanos - firstNanos);
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
