package io.soma.streams.topologies.runtime;

import java.time.Duration;

/**
 * Checks a configured punctuation interval when an app's settings are read. Kafka Streams refuses one under a
 * millisecond only in the processor's {@code init}, so every task made for it would fail, and each replacement
 * thread again, while the process looked alive.
 */
public final class PunctuationInterval {
    private PunctuationInterval() {
    }

    /** @throws IllegalArgumentException when {@code interval} is under a millisecond */
    public static Duration checked(String setting, Duration interval) {
        if (interval.toMillis() < 1) {
            throw new IllegalArgumentException(setting + " must be at least 1 ms, got " + interval);
        }
        return interval;
    }
}
