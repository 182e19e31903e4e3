package io.soma.streams.stores.kafka;

import org.slf4j.Logger;

import java.time.Duration;

/**
 * The failures in a row of a loop that must not end (a reader that callers depend on until the process restarts):
 * the first is logged with its stack, then one line every {@value #REPEAT_EVERY}th, so that a long outage neither
 * floods the log nor goes quiet. One loop's thread only.
 */
public final class FailureStreak {
    private static final int REPEAT_EVERY = 60;

    private final Logger log;
    private final String what;
    private final Duration retry;
    private int inARow;

    /**
     * @param what  what fails, as the log should name it ("SSE stream decisions cannot read Kafka")
     * @param retry how long the loop waits before it tries again
     */
    public FailureStreak(Logger log, String what, Duration retry) {
        this.log = log;
        this.what = what;
        this.retry = retry;
    }

    public void failed(Exception failure) {
        if (++inARow == 1) {
            log.warn("{}; trying again every {} ms", what, retry.toMillis(), failure);
        } else if (inARow % REPEAT_EVERY == 0) {
            log.warn("{}: still, {} times in a row: {}", what, inARow, failure.toString());
        }
    }

    public void succeeded() {
        inARow = 0;
    }
}
