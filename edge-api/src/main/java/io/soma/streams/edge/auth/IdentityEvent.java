package io.soma.streams.edge.auth;

import java.time.Instant;
import java.util.List;

/**
 * One identity change for the {@code identity.audit} topic (keyed by tenant).
 *
 * @param actor       who caused it: the subject of the admin token, or {@code apikey:<subject>} for a key exchange
 * @param actorTenant the actor's own tenant: a platform operator acting on another tenant is told apart from that
 *                    tenant's user of the same name
 */
public record IdentityEvent(String eventId, String action, String tenant, String subject, String actor,
                            String actorTenant, String jti, String kid, List<String> capabilities, Instant timestamp) {
    public static final String TOKEN_ISSUED = "token.issued";
    public static final String TOKEN_REVOKED = "token.revoked";
    /** A platform operator created a tenant (subject: its first admin, if any). */
    public static final String TENANT_CREATED = "tenant.created";

    public IdentityEvent {
        capabilities = List.copyOf(capabilities);
    }
}
