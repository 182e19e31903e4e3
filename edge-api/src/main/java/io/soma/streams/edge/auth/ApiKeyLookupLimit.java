package io.soma.streams.edge.auth;

import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Bounds how many API-key exchanges look their key up in PostgreSQL at once. Whose request it is is known only once
 * the key resolves, so a flood of made-up keys cannot be rate limited by tenant; unbounded, it would hold every
 * connection of the pool that tenant management, admin issues and the audit archive share. Beyond the bound an
 * exchange waits a moment (a lookup takes about a millisecond, so a burst of real clients passes), then is refused
 * with 503 {@code busy} and {@code Retry-After}.
 */
public final class ApiKeyLookupLimit {
    private static final long RETRY_AFTER_SECONDS = 1;

    private final Semaphore permits;
    private final int concurrent;
    private final Duration wait;

    /**
     * @param concurrent how many lookups may run at once; keep it below the PostgreSQL pool's size
     * @param wait       how long an exchange beyond it waits for a place before it is refused
     */
    public ApiKeyLookupLimit(int concurrent, Duration wait) {
        if (concurrent < 1 || wait.isNegative()) {
            throw new IllegalArgumentException("identity.apikey.lookups.concurrent must be at least 1 and "
                    + "identity.apikey.lookups.wait not negative");
        }
        this.permits = new Semaphore(concurrent, true);
        this.concurrent = concurrent;
        this.wait = wait;
    }

    public int concurrent() {
        return concurrent;
    }

    public <T> T lookUp(Context ctx, Supplier<T> lookup) {
        if (!acquire()) {
            ctx.header("Retry-After", Long.toString(RETRY_AFTER_SECONDS));
            throw new ApiException(503, "busy", "too many API-key exchanges at once; try again shortly",
                    Map.of("retry_after_seconds", RETRY_AFTER_SECONDS));
        }
        try {
            return lookup.get();
        } finally {
            permits.release();
        }
    }

    private boolean acquire() {
        try {
            return permits.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
