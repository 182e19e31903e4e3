package io.soma.streams.edge;

import io.javalin.http.Handler;
import io.soma.streams.edge.audit.ArchiveSlice;
import io.soma.streams.edge.auth.Access;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.edge.budget.BudgetSlice;
import io.soma.streams.edge.forecast.ForecastSlice;
import io.soma.streams.edge.health.HealthHandler;
import io.soma.streams.edge.http.BodyFields;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.http.RateLimitHandler;
import io.soma.streams.edge.marketplace.MarketplaceSlice;
import io.soma.streams.edge.metrics.MetricsHandler;
import io.soma.streams.edge.policy.ConversationSlice;
import io.soma.streams.edge.policy.PolicySlice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.edge.slm.SlmSlice;
import io.soma.streams.edge.training.TrainingSlice;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.javalin.apibuilder.ApiBuilder.delete;
import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.path;
import static io.javalin.apibuilder.ApiBuilder.post;
import static io.javalin.apibuilder.ApiBuilder.put;
import static io.soma.streams.edge.tenancy.TenantScope.BODY;
import static io.soma.streams.edge.tenancy.TenantScope.BODY_OR_CALLER;
import static io.soma.streams.edge.tenancy.TenantScope.CALLER;
import static io.soma.streams.edge.tenancy.TenantScope.PATH;
import static io.soma.streams.edge.tenancy.TenantScope.PLATFORM;
import static io.soma.streams.edge.tenancy.TenantScope.POOLED;
import static io.soma.streams.edge.tenancy.TenantScope.QUERY;
import static io.soma.streams.edge.tenancy.TenantScope.SHARED;

/**
 * Every route of the edge, in one place, with the capability each needs and the tenant it acts on
 * ({@link io.soma.streams.edge.tenancy.TenantScope}), and for a route that takes a JSON body, its fields
 * ({@link BodyFields}). A route without a capability still needs a valid bearer token
 * ({@link AuthHandler}); {@link Access#PUBLIC} routes need none. A non-public route without a tenant scope is refused.
 * A capability's routes are declared when the process runs its slice.
 */
public record EdgeRoutes(RateLimitHandler rateLimit, HealthHandler health, Optional<MetricsHandler> publicMetrics,
                         Slices slices) {
    private static final BodyFields TRAINING_COMMAND = BodyFields.of("tenant", "user", "reason", "ttl_seconds");

    /** Authentication: the identity slice's, which every process runs. */
    public AuthHandler auth() {
        return slices.require(IdentitySlice.class).auth();
    }

    /**
     * What runs before every matched route, in order: authentication, then the tenant's rate limit, then NUL in its
     * parameters, then the body's fields against the route's {@link BodyFields}, then ...
     */
    List<Handler> beforeMatched() {
        List<Handler> filters = new ArrayList<>(List.of(auth(), rateLimit, QueryParams::refuseNul,
                BodyFields::refuseUnknown));
        // ... a caller acting on a stale constitution is refused
        slices.find(PolicySlice.class).ifPresent(policy -> filters.add(policy.handlers()::refuseStaleConstitution));
        return filters;
    }

    void declare() {
        path("/health", () -> {
            get("/live", health::live, Access.PUBLIC);
            get("/ready", health::ready, Access.PUBLIC);
        });
        // empty when the management port serves /metrics, or the public listener is not on loopback
        publicMetrics.ifPresent(metrics -> get("/metrics", metrics::scrape, Access.PUBLIC));
        IdentitySlice identity = slices.require(IdentitySlice.class);
        path("/v1/tokens", () -> {
            // the token exchange checks its API key or bearer token itself, and the tenant with TenantGuard; each
            // issue counts against the rate of the tenant it issues for (it writes a record to Redis)
            post("/issue", ctx -> identity.tokens().issue(ctx, tenant -> rateLimit.charge(ctx, tenant)), Access.PUBLIC,
                    BodyFields.of("api_key", "subject", "tenant", "capabilities", "ttl_seconds"));
            post("/verify", identity.tokens()::verify, CALLER, BodyFields.of("token"));
            post("/revoke", identity.tokens()::revoke, CALLER, BodyFields.of("jti"));
        });
        path("/v1/tenants", () -> {
            get(identity.tenants()::list, PLATFORM);
            post(identity.tenants()::create, PLATFORM, BodyFields.of("tenant_id", "admin_subject"));
            path("/{tenant}/api-keys", () -> {
                get(identity.apiKeys()::list, PATH, Capability.IDENTITY_ADMIN);
                post(identity.apiKeys()::create, PATH, Capability.IDENTITY_ADMIN, BodyFields.of("subject", "label"));
                delete("/{key_id}", identity.apiKeys()::revoke, PATH, Capability.IDENTITY_ADMIN);
            });
        });
        slices.find(PolicySlice.class).map(PolicySlice::handlers).ifPresent(policy -> {
            post("/v1/evaluate", policy::evaluate, BODY, Capability.CONVERSATION, Capability.POLICY_ADMIN,
                    BodyFields.of("tenant", "prompt", "role", "tool", "capsule_id", "session_id", "spans",
                            // a step's own fields, documented here before fields were checked: taken, not used
                            "user", "metadata", "prompt_tokens", "max_completion_tokens"));
            get("/v1/detectors", policy::detectors, SHARED);
            path("/v1/policies/{tenant}", () -> {
                get(policy::getPolicy, PATH, Capability.POLICY_ADMIN, Capability.CONVERSATION);
                // a pack as GET answers it may come back: its tenant, version and update stamp are replaced
                put(policy::putPolicy, PATH, Capability.POLICY_ADMIN, BodyFields.of("rules", "include", "tenant",
                        "version", "updated_at", "updated_by"));
            });
            path("/v1/constitution", () -> {
                get(policy::getConstitution, SHARED);
                // the tenant is inside the signed bundle: the handler checks it with TenantGuard
                post(policy::publishConstitution, CALLER, Capability.CONSTITUTION_PUBLISH, BodyFields.of("version",
                        "issued_at", "document", "hash", "signature", "tenant"));
                get("/{tenant}/hash", policy::getConstitutionHash, PATH);
                get("/history", policy::getGlobalConstitutionHistory, SHARED);
                get("/{tenant}/history", policy::getConstitutionHistory, PATH);
            });
        });
        slices.find(ConversationSlice.class).map(ConversationSlice::handlers).ifPresent(conversation ->
                path("/v1/conversation", () -> {
                    post("/step", conversation::step, BODY_OR_CALLER, Capability.CONVERSATION, BodyFields.of("tenant",
                            "session_id", "content", "prompt", "role", "event_type", "provider", "model",
                            "capsule_id", "tool", "user", "metadata", "prompt_tokens", "max_completion_tokens"));
                    get("/stream", conversation::openStream, QUERY, Capability.CONVERSATION);
                }));
        slices.find(TrainingSlice.class).map(TrainingSlice::handlers).ifPresent(training ->
                path("/v1/training", () -> {
                    post("/enable", training::enable, BODY, Capability.TRAINING_ADMIN, TRAINING_COMMAND);
                    // the holder may disable or extend without training.admin: the training app checks who holds
                    // the lock
                    post("/disable", training::disable, BODY, TRAINING_COMMAND);
                    post("/extend", training::extend, BODY, TRAINING_COMMAND);
                    get("/status/{tenant}", training::status, PATH);
                }));
        slices.find(BudgetSlice.class).map(BudgetSlice::handlers).ifPresent(budgets ->
                path("/v1/budgets/{tenant}", () -> {
                    get(budgets::list, PATH, Capability.BUDGET_ADMIN, Capability.BUDGET_READ);
                    get("/alerts/stream", budgets::openAlertStream, PATH, Capability.BUDGET_ADMIN,
                            Capability.BUDGET_READ);
                    // before /{budget}: a budget named "audit" is reached by PUT and DELETE only
                    get("/audit", budgets::audit, PATH, Capability.BUDGET_ADMIN, Capability.BUDGET_READ);
                    path("/{budget}", () -> {
                        get(budgets::get, PATH, Capability.BUDGET_ADMIN, Capability.BUDGET_READ);
                        put(budgets::put, PATH, Capability.BUDGET_ADMIN, BodyFields.of("provider", "model",
                                "capsule_id", "limit_tokens", "limit_usd", "period", "time_zone", "rolling_seconds",
                                "hard", "fail_closed", "thresholds_percent"));
                        delete(budgets::delete, PATH, Capability.BUDGET_ADMIN);
                    });
                }));
        slices.find(ArchiveSlice.class).map(ArchiveSlice::handlers).ifPresent(audit ->
                path("/v1/audit", () -> {
                    get("/decisions", audit::decisions, QUERY, Capability.AUDIT_READ);
                    get("/decisions/rate", audit::decisionRate, QUERY, Capability.AUDIT_READ);
                    get("/training", audit::training, QUERY, Capability.AUDIT_READ);
                    // every app's dead letters, whichever tenant's records they were: the platform's to see
                    get("/dead-letters", audit::deadLetters, PLATFORM);
                }));
        slices.find(ForecastSlice.class).map(ForecastSlice::handlers).ifPresent(forecast -> {
            post("/v1/forecast", forecast::forecast, BODY, Capability.FORECAST_READ,
                    BodyFields.of("tenant", "provider", "model", "window_hours"));
            get("/v1/forecast/{tenant}", forecast::tenantForecast, PATH, Capability.FORECAST_READ);
            get("/v1/forecast/{tenant}/capsules/{capsule}", forecast::capsuleSummary, PATH, Capability.FORECAST_READ);
        });
        slices.find(SlmSlice.class).map(SlmSlice::handlers).ifPresent(slm ->
                path("/v1/slm", () -> {
                    // per model and provider, over the calls of every tenant that called it: those tenants' to see
                    get("/metrics", slm::metrics, POOLED, Capability.SLM_READ);
                    get("/alerts/stream", slm::openAlertStream, POOLED, Capability.SLM_READ);
                }));
        slices.find(MarketplaceSlice.class).map(MarketplaceSlice::handlers).ifPresent(marketplace ->
                path("/v1/marketplace", () -> {
                    // the catalog is every tenant's; reviewing it acts for all of them, so marketplace.review is a
                    // platform role that tenant admins do not hold; the reviewer is the token's subject and tenant
                    get("/capsules", marketplace::list, SHARED, Capability.MARKETPLACE_READ);
                    // the publisher is the caller's tenant, or one a platform operator names in the body
                    post("/capsules", marketplace::submit, CALLER, Capability.MARKETPLACE_PUBLISH,
                            BodyFields.of("capsule_id", "publisher", "manifest", "attestation"));
                    get("/capsules/{id}", marketplace::capsule, SHARED, Capability.MARKETPLACE_READ);
                    get("/capsules/{id}/history", marketplace::history, SHARED, Capability.MARKETPLACE_READ);
                    post("/capsules/{id}/review", marketplace::review, SHARED, Capability.MARKETPLACE_REVIEW,
                            BodyFields.of("decision", "notes", "expected_version"));
                    post("/capsules/{id}/revoke", marketplace::revoke, SHARED, Capability.MARKETPLACE_REVIEW,
                            BodyFields.of("notes", "expected_version"));
                    get("/stream", marketplace::openStream, SHARED, Capability.MARKETPLACE_READ);
                }));
    }
}
