package io.soma.streams.edge.auth;

import java.time.Instant;
import java.util.Set;

/** Whom a token speaks for: the verified caller of a request, or a token an admin is about to revoke. */
public record Principal(String jti, String kid, String subject, String tenant, Set<Capability> capabilities,
                        Instant issuedAt, Instant expiresAt) {

    public Principal {
        capabilities = Set.copyOf(capabilities);
    }

    public boolean has(Capability capability) {
        return capabilities.contains(capability);
    }
}
