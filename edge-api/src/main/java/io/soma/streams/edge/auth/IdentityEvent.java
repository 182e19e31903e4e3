package io.soma.streams.edge.auth;

import java.time.Instant;
import java.util.List;

/**
 * One identity change for the {@code identity.audit} topic (keyed by tenant).
 *
 * @param actor       who caused it: the subject of the admin token, or {@code apikey:<subject>} for a key exchange
 * @param actorTenant the actor's own tenant: a platform operator acting on another tenant is told apart from that
 *                    tenant's user of the same name
 * @param apiKeyId    the API key created or revoked ({@link IdentityStore#keyId}); null for other actions
 */
public record IdentityEvent(String eventId, String action, String tenant, String subject, String actor,
                            String actorTenant, String jti, String kid, List<String> capabilities, Instant timestamp,
                            String apiKeyId) {
    public static final String TOKEN_ISSUED = "token.issued";
    public static final String TOKEN_REVOKED = "token.revoked";
    /** A platform operator created a tenant (subject: its first admin, if any). */
    public static final String TENANT_CREATED = "tenant.created";
    /** An admin created an API key for a user of its tenant (subject: the user). */
    public static final String API_KEY_CREATED = "api_key.created";
    /** An admin revoked an API key of its tenant (subject: the key's user). */
    public static final String API_KEY_REVOKED = "api_key.revoked";

    public IdentityEvent {
        capabilities = List.copyOf(capabilities);
    }

    /** An event about a token or a tenant: no API key. */
    public IdentityEvent(String eventId, String action, String tenant, String subject, String actor,
                         String actorTenant, String jti, String kid, List<String> capabilities, Instant timestamp) {
        this(eventId, action, tenant, subject, actor, actorTenant, jti, kid, capabilities, timestamp, null);
    }
}
