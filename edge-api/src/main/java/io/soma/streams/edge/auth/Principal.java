package io.soma.streams.edge.auth;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Whom a token speaks for: the verified caller of a request, or a token an admin is about to revoke.
 *
 * @param chain the ids of the tokens that issued this one, oldest first; empty for a token issued for an API key
 */
public record Principal(String jti, String kid, String subject, String tenant, Set<Capability> capabilities,
                        Instant issuedAt, Instant expiresAt, List<String> chain) {

    public Principal {
        capabilities = Set.copyOf(capabilities);
        chain = List.copyOf(chain);
    }

    public boolean has(Capability capability) {
        return capabilities.contains(capability);
    }
}
