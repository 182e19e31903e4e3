package io.soma.streams.edge.auth;

import java.time.Duration;
import java.util.Set;

/** A token to issue; {@code ttl} null means the longest allowed. */
public record TokenRequest(String subject, String tenant, Set<Capability> capabilities, Duration ttl) {

    public TokenRequest {
        capabilities = Set.copyOf(capabilities);
    }
}
