package io.soma.streams.topologies.runtime;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The answer of an admin call, or an {@link IllegalStateException} saying what failed and why. */
public final class AdminFutures {
    private AdminFutures() {
    }

    /** The future's value, waiting {@code patience} at most; {@code failure} says what could not be done. */
    public static <T> T completed(Future<T> future, String failure, Duration patience) {
        try {
            return future.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(failure + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(failure + ": " + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException(failure + ": no answer within " + patience, e);
        }
    }
}
