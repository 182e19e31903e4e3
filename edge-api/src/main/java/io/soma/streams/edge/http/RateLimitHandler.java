package io.soma.streams.edge.http;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.stores.ratelimit.RateLimitDecision;
import io.soma.streams.stores.ratelimit.RedisRateLimiter;

import java.util.Map;

/**
 * Per-tenant rate limiting of authenticated requests (after {@link AuthHandler}); public routes are not limited,
 * but for the token exchange, which counts against the tenant it issues for. A refused request gets 429 with
 * {@code Retry-After}.
 */
public final class RateLimitHandler implements Handler {
    private final RedisRateLimiter limiter;

    public RateLimitHandler(RedisRateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void handle(Context ctx) {
        if (AuthHandler.isAuthenticated(ctx)) {
            charge(ctx, AuthHandler.principal(ctx).tenant());
        }
    }

    /** Counts one request against {@code tenant}'s rate: a public route that learns its tenant later calls it. */
    public void charge(Context ctx, String tenant) {
        RateLimitDecision decision = limiter.acquire(tenant);
        if (decision.remaining() >= 0) {
            ctx.header("X-RateLimit-Remaining", Long.toString(decision.remaining()));
        }
        if (!decision.allowed()) {
            ctx.header("Retry-After", Long.toString(decision.retryAfterSeconds()));
            throw new ApiException(429, "rate_limited", "tenant " + tenant + " is over its request rate",
                    Map.of("retry_after_seconds", decision.retryAfterSeconds()));
        }
    }
}
