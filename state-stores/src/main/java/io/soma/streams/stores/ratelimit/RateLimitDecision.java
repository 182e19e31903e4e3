package io.soma.streams.stores.ratelimit;

/**
 * The answer for one request.
 *
 * @param remaining         whole requests left right now, or -1 when unknown (Redis down, the request let through)
 * @param retryAfterSeconds when refused, the whole seconds until one request is allowed again (Retry-After); else 0
 */
public record RateLimitDecision(boolean allowed, long remaining, long retryAfterSeconds) {
    static RateLimitDecision failedOpen() {
        return new RateLimitDecision(true, -1, 0);
    }
}
