package io.soma.streams.edge.slice;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a failed stream thread gets: a replacement, at once after a lone failure, after a pause that doubles (1 s up
 * to 30 s) while failures follow each other. A cause the next thread meets again (the schema registry down, or
 * refusing the credentials) would otherwise cycle fail, replace, rebalance with no pause, logging stack traces each
 * time. The pause runs on the failed thread before it is replaced: its tasks wait either way, and the group does not
 * rebalance meanwhile. Closing the app ends a pause.
 */
final class ThreadReplacement implements StreamsUncaughtExceptionHandler, AutoCloseable {
    static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(ThreadReplacement.class);

    private final String applicationId;
    private final Clock clock;
    private final CountDownLatch closing = new CountDownLatch(1);
    private Instant lastFailure;
    private Duration pause = Duration.ZERO;
    private int inARow;

    ThreadReplacement(String applicationId, Clock clock) {
        this.applicationId = applicationId;
        this.clock = clock;
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable failure) {
        Duration wait = pauseAfterFailureAt(clock.instant());
        if (wait.isZero()) {
            log.error("{}: stream thread failed, replacing it", applicationId, failure);
        } else {
            log.warn("{}: stream thread failed again ({} in a row), replacing it in {} s: {}", applicationId, inARow,
                    wait.toSeconds(), failure.toString());
            try {
                closing.await(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** How long to wait before replacing the thread that failed at {@code now}. */
    synchronized Duration pauseAfterFailureAt(Instant now) {
        // a failure after a quiet spell (longer than the longest pause, beyond the last one) starts a new streak
        boolean streak = lastFailure != null
                && Duration.between(lastFailure, now).compareTo(pause.plus(LONGEST_PAUSE)) <= 0;
        pause = !streak ? Duration.ZERO : pause.isZero() ? FIRST_PAUSE
                : pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
        inARow = streak ? inARow + 1 : 1;
        lastFailure = now;
        return pause;
    }

    @Override
    public void close() {
        closing.countDown();
    }
}
