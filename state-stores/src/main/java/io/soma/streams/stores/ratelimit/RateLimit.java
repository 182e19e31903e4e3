package io.soma.streams.stores.ratelimit;

import java.time.Duration;

/**
 * A tenant's limit as a token bucket: {@code permits} per {@code period} on average, up to {@code burst}
 * requests at once (the bucket's size; a full bucket is where a quiet tenant starts).
 */
public record RateLimit(long permits, Duration period, long burst) {
    public RateLimit {
        if (permits < 1 || burst < 1 || period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("need permits >= 1, burst >= 1 and a positive period");
        }
    }

    public static RateLimit perSecond(long permits) {
        return new RateLimit(permits, Duration.ofSeconds(1), permits);
    }

    public static RateLimit perMinute(long permits) {
        return new RateLimit(permits, Duration.ofMinutes(1), permits);
    }

    public RateLimit withBurst(long burst) {
        return new RateLimit(permits, period, burst);
    }

    /** Tokens added per millisecond. */
    double refillPerMilli() {
        return (double) permits / period.toMillis();
    }

    /** How long an unused bucket takes to fill up: after that its key can expire, a full bucket is the default. */
    long millisToFill() {
        return (long) Math.ceil(burst / refillPerMilli());
    }
}
