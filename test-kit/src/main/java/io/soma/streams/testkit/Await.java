package io.soma.streams.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for a condition by polling it, never by sleeping a fixed time and hoping. A wait that runs out fails
 * with what it waited for and the last thing it saw, so a failure in CI can be read from the log.
 */
public final class Await {
    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /** Polls {@code condition} until it holds; fails after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        value(what, timeout, condition::getAsBoolean, Boolean::booleanValue);
    }

    /**
     * Polls {@code probe} until its value satisfies {@code done} and returns that value. A probe that throws a
     * {@link RuntimeException} counts as "not yet" (a store still restoring, a server still starting); the last
     * one is reported if the wait runs out. An {@link AssertionError} from the probe ends the wait at once: assert
     * inside a probe only what must hold on every poll.
     */
    public static <T> T value(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException lastFailure = null;
        while (true) {
            try {
                last = probe.get();
                lastFailure = null;
                if (last != null && done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastFailure = e;
            }
            if (System.nanoTime() >= deadline) {
                AssertionError error = new AssertionError("timed out after " + timeout + " waiting for " + what
                        + (lastFailure == null ? "; last seen: " + last : "; last attempt failed: " + lastFailure));
                if (lastFailure != null) {
                    error.initCause(lastFailure);
                }
                throw error;
            }
            pause();
        }
    }

    /** Sleeps {@code time} unless interrupted (then returns early, the interrupt kept). */
    static void pauseQuietly(Duration time) {
        try {
            Thread.sleep(time.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The pause between two polls; interruption (a test timeout) ends the wait at once. */
    static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
