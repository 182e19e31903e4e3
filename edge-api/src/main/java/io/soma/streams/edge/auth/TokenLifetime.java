package io.soma.streams.edge.auth;

import java.time.Duration;

/**
 * How long tokens live, and the clock difference tolerated between the issuing and the verifying instance.
 *
 * @param maxTtl    the longest lifetime a token gets (and the default)
 * @param clockSkew accepted past {@code exp} and before {@code iat}
 */
public record TokenLifetime(Duration maxTtl, Duration clockSkew) {

    public TokenLifetime {
        if (maxTtl.isNegative() || maxTtl.isZero()) {
            throw new IllegalArgumentException("token lifetime must be positive, got " + maxTtl);
        }
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clock skew must not be negative, got " + clockSkew);
        }
    }

    /** A retired signing key must outlive the last token it signed, which may be issued just before rotation. */
    public Duration retiredKeyLifetime() {
        return maxTtl.plus(clockSkew);
    }
}
