package io.soma.streams.edge.tenancy;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.HeldNow;
import io.soma.streams.edge.auth.Identity;
import io.soma.streams.edge.auth.IdentityAuditSink;
import io.soma.streams.edge.auth.IdentityEvent;
import io.soma.streams.edge.auth.IdentityStore;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.auth.TokenRoutes;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.topologies.policy.constitution.Constitution;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code POST /v1/tenants} and {@code GET /v1/tenants}, for platform operators ({@link TenantScope#PLATFORM}; held
 * now, {@link HeldNow}: a tenant and its admin's key outlive the token that made them).
 * A new tenant may get its first admin, who holds every capability but {@code platform.operator} and receives an API
 * key once; from there the tenant manages itself.
 */
public final class TenantHandlers {
    /** Lower case, bounded: a tenant id ends up in Kafka keys, Redis keys and URLs. */
    public static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    /** Names a tenant may not take: the constitution's scopes share one key space with tenants. */
    public static final Set<String> RESERVED = Set.of(Constitution.GLOBAL_SCOPE);
    private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");

    private final IdentityStore identities;
    private final IdentityAuditSink audit;

    public TenantHandlers(IdentityStore identities, IdentityAuditSink audit) {
        this.identities = identities;
        this.audit = audit;
    }

    /** {@code {tenant_id, admin_subject?}} → 201 {@code {tenant_id, admin?: {subject, capabilities, api_key}}}; 409 if it exists. */
    public void create(Context ctx) {
        TokenRoutes.withStores(ctx, c -> {
            Principal operator = AuthHandler.principal(c);
            HeldNow.require(identities, operator, Capability.PLATFORM_OPERATOR, null);
            JsonNode body = JsonBody.object(c);
            String tenant = matching(body, "tenant_id", TENANT_ID, true);
            if (RESERVED.contains(tenant)) {
                throw ApiException.unprocessable("tenant_id '" + tenant + "' is reserved: it names the global "
                        + "constitution's scope", Map.of("field", "tenant_id"));
            }
            String adminSubject = matching(body, "admin_subject", SUBJECT, false);
            Identity admin = adminSubject == null ? null : new Identity(tenant, adminSubject, Capability.tenantAdmin());
            String apiKey;
            try {
                apiKey = identities.createTenant(tenant, admin);
            } catch (IdentityStore.TenantExistsException e) {
                throw new ApiException(409, "conflict", e.getMessage(), Map.of("tenant_id", tenant));
            }
            List<String> capabilities = admin == null ? List.of() : Capability.claimsOf(admin.capabilities());
            audit.recordOrUndo(new IdentityEvent(UUID.randomUUID().toString(), IdentityEvent.TENANT_CREATED, tenant,
                    adminSubject, operator.subject(), operator.tenant(), null, null, capabilities, Instant.now()),
                    () -> identities.deleteTenant(tenant));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("tenant_id", tenant);
            if (admin != null) {
                answer.put("admin", Map.of("subject", adminSubject, "capabilities", capabilities, "api_key", apiKey));
            }
            // the admin's API key, shown this once: no cache may keep it
            c.header("Cache-Control", "no-store");
            c.status(201).json(answer);
        });
    }

    /** {@code {tenants: [{tenant_id, created_at}]}}. */
    public void list(Context ctx) {
        TokenRoutes.withStores(ctx, c -> {
            HeldNow.require(identities, AuthHandler.principal(c), Capability.PLATFORM_OPERATOR, null);
            c.json(Map.of("tenants", identities.tenants().stream()
                    .map(t -> Map.of("tenant_id", t.id(), "created_at", t.createdAt().toString())).toList()));
        });
    }

    private static String matching(JsonNode body, String field, Pattern pattern, boolean required) {
        String value = required ? JsonBody.required(body, field) : JsonBody.text(body, field);
        if (value != null && !pattern.matcher(value).matches()) {
            throw ApiException.unprocessable(field + " must match " + pattern.pattern(),
                    Map.of("field", field, "pattern", pattern.pattern()));
        }
        return value;
    }
}
