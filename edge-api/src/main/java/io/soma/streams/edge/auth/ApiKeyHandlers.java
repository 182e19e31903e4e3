package io.soma.streams.edge.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.tenancy.TenantGuard;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /v1/tenants/{tenant}/api-keys}: a tenant's admins ({@code identity.admin}, held now: {@link HeldNow}) list
 * its API keys, create one for a user of the tenant (shown once) and revoke one, so that a leaked key is retired and
 * replaced without a platform operator. An admin acts only on keys of users whose capabilities it holds itself: a
 * key is its user's power, and creating or revoking one must not reach beyond the admin's own. Every creation and
 * revocation is audited on {@code identity.audit} ({@code api_key.created}, {@code api_key.revoked}, with
 * {@code api_key_id}); a key whose creation cannot be audited is deleted before the failure is answered.
 */
public final class ApiKeyHandlers {
    private static final int MAX_LABEL_CHARS = 100;

    private final IdentityStore identities;
    private final IdentityAuditSink audit;

    public ApiKeyHandlers(IdentityStore identities, IdentityAuditSink audit) {
        this.identities = identities;
        this.audit = audit;
    }

    /** {@code {api_keys: [{key_id, subject, label, created_at, revoked_at}]}}, oldest first. */
    public void list(Context ctx) {
        TokenRoutes.withStores(ctx, c -> {
            HeldNow.require(identities, AuthHandler.principal(c), Capability.IDENTITY_ADMIN, TenantGuard.tenant(c));
            c.json(Map.of("api_keys", identities.apiKeys(TenantGuard.tenant(c)).stream().map(ApiKeyHandlers::json)
                    .toList()));
        });
    }

    /** {@code {subject, label?}} → 201 {@code {key_id, subject, label, api_key}}: the key, this once. */
    public void create(Context ctx) {
        TokenRoutes.withStores(ctx, c -> {
            Principal admin = AuthHandler.principal(c);
            String tenant = TenantGuard.tenant(c);
            JsonNode body = JsonBody.object(c);
            String subject = JsonBody.required(body, "subject");
            String label = JsonBody.text(body, "label");
            label = label == null ? "api" : JsonBody.withinLimit(label, "label", MAX_LABEL_CHARS);
            if (label.equals(IdentityStore.BOOTSTRAP_LABEL)) {
                // the process retires every other key of that label at its next start
                throw ApiException.unprocessable("label '" + label + "' is reserved for the configured bootstrap key",
                        Map.of("field", "label"));
            }
            requireHoldsWhatTheUserHolds(admin, tenant, subject);
            String apiKey = identities.createApiKey(tenant, subject, label);
            String keyId = IdentityStore.keyId(IdentityStore.sha256(apiKey));
            audit.recordOrUndo(created(tenant, subject, admin, keyId),
                    () -> identities.deleteApiKey(tenant, apiKey));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("key_id", keyId);
            answer.put("subject", subject);
            answer.put("label", label);
            answer.put("api_key", apiKey);
            // a credential, shown this once: no cache may keep it
            c.header("Cache-Control", "no-store");
            c.status(201).json(answer);
        });
    }

    /** → 200 {@code {key_id, revoked: true, already_revoked}}; 404 when the tenant has no such key. */
    public void revoke(Context ctx) {
        TokenRoutes.withStores(ctx, c -> {
            Principal admin = AuthHandler.principal(c);
            String tenant = TenantGuard.tenant(c);
            String keyId = c.pathParam("key_id");
            IdentityStore.ApiKey key = identities.apiKeys(tenant).stream().filter(k -> k.keyId().equals(keyId))
                    .findFirst().orElseThrow(() -> ApiException.notFound("tenant " + tenant + " has no API key "
                            + keyId));
            requireHoldsWhatTheUserHolds(admin, tenant, key.subject());
            IdentityStore.Revocation revocation = identities.revokeApiKey(tenant, keyId, admin).orElseThrow(() ->
                    ApiException.notFound("tenant " + tenant + " has no API key " + keyId));
            // audited at every call, under one event id, naming whoever revoked it first: a revocation whose audit
            // failed (the key stays revoked, the answer is an error) is audited when the admin retries, once. A key
            // revoked before its revoker was kept (by an earlier version) was audited then
            if (revocation.bySubject() != null) {
                audit.record(new IdentityEvent(UUID.nameUUIDFromBytes((IdentityEvent.API_KEY_REVOKED + "/" + tenant
                        + "/" + keyId).getBytes(StandardCharsets.UTF_8)).toString(), IdentityEvent.API_KEY_REVOKED,
                        tenant, key.subject(), revocation.bySubject(), revocation.byTenant(), null, null, List.of(),
                        Instant.now(), keyId));
            }
            c.json(Map.of("key_id", keyId, "revoked", true, "already_revoked", !revocation.now()));
        });
    }

    /** What the admin's token and its user hold now must include what the key's user holds: no escalation. */
    private void requireHoldsWhatTheUserHolds(Principal admin, String tenant, String subject) {
        Set<Capability> adminHolds = HeldNow.require(identities, admin, Capability.IDENTITY_ADMIN, tenant);
        Set<Capability> userHolds = identities.capabilitiesOf(tenant, subject).orElseThrow(() ->
                ApiException.unprocessable("tenant " + tenant + " has no user " + subject, Map.of("field", "subject")));
        HeldNow.requireCovers(adminHolds, userHolds, "the API keys of " + subject + " carry capabilities "
                + admin.subject() + " does not hold");
    }

    private static IdentityEvent created(String tenant, String subject, Principal admin, String keyId) {
        return new IdentityEvent(UUID.randomUUID().toString(), IdentityEvent.API_KEY_CREATED, tenant, subject,
                admin.subject(), admin.tenant(), null, null, List.of(), Instant.now(), keyId);
    }

    private static Map<String, Object> json(IdentityStore.ApiKey key) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key_id", key.keyId());
        out.put("subject", key.subject());
        out.put("label", key.label());
        out.put("created_at", key.createdAt().toString());
        out.put("revoked_at", key.revokedAt() == null ? null : key.revokedAt().toString());
        return out;
    }
}
