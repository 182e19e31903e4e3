package io.soma.streams.edge.auth;

import io.soma.streams.edge.http.ApiException;

import java.time.Instant;
import java.util.Map;
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

    /**
     * A caller acts on its own tenant only; a holder of {@code adminCapability} (the admin capability of the
     * resource at hand, e.g. {@code training.admin} for training mode) may act on any tenant.
     */
    public void requireTenant(String tenant, Capability adminCapability) {
        if (!this.tenant.equals(tenant) && !has(adminCapability)) {
            throw new ApiException(403, "forbidden",
                    "tenant " + this.tenant + " may not act on tenant " + tenant + " without " + adminCapability.claim(),
                    Map.of("required_capability", adminCapability.claim()));
        }
    }
}
