package io.soma.streams.edge;

import io.soma.streams.edge.audit.AuditHandlers;
import io.soma.streams.edge.auth.Access;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.TokenRoutes;
import io.soma.streams.edge.forecast.ForecastHandlers;
import io.soma.streams.edge.health.HealthHandler;
import io.soma.streams.edge.http.RateLimitHandler;
import io.soma.streams.edge.policy.ConversationHandlers;
import io.soma.streams.edge.policy.PolicyHandlers;
import io.soma.streams.edge.metrics.MetricsHandler;
import io.soma.streams.edge.slm.SlmHandlers;
import io.soma.streams.edge.tenancy.TenantHandlers;
import io.soma.streams.edge.training.TrainingHandlers;

import java.util.Optional;

import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.path;
import static io.javalin.apibuilder.ApiBuilder.post;
import static io.javalin.apibuilder.ApiBuilder.put;
import static io.soma.streams.edge.tenancy.TenantScope.BODY;
import static io.soma.streams.edge.tenancy.TenantScope.BODY_OR_CALLER;
import static io.soma.streams.edge.tenancy.TenantScope.CALLER;
import static io.soma.streams.edge.tenancy.TenantScope.PATH;
import static io.soma.streams.edge.tenancy.TenantScope.PLATFORM;
import static io.soma.streams.edge.tenancy.TenantScope.QUERY;
import static io.soma.streams.edge.tenancy.TenantScope.SHARED;

/**
 * Every route of the edge, in one place, with the capability each needs and the tenant it acts on
 * ({@link io.soma.streams.edge.tenancy.TenantScope}). A route without a capability still needs a valid bearer token
 * ({@link AuthHandler}); {@link Access#PUBLIC} routes need none. A non-public route without a tenant scope is refused.
 */
public record EdgeRoutes(AuthHandler auth, RateLimitHandler rateLimit, PolicyHandlers policy,
                         ConversationHandlers conversation, HealthHandler health,
                         Optional<MetricsHandler> publicMetrics,
                         TokenRoutes tokens, AuditHandlers audit, TrainingHandlers training,
                         SlmHandlers slm, ForecastHandlers forecast, TenantHandlers tenants) {

    void declare() {
        path("/health", () -> {
            get("/live", health::live, Access.PUBLIC);
            get("/ready", health::ready, Access.PUBLIC);
        });
        // empty when the management port serves /metrics
        publicMetrics.ifPresent(metrics -> get("/metrics", metrics::scrape, Access.PUBLIC));
        path("/v1/tokens", () -> {
            // the token exchange checks its API key or bearer token itself, and the tenant with TenantGuard
            post("/issue", tokens::issue, Access.PUBLIC);
            post("/verify", tokens::verify, CALLER);
            post("/revoke", tokens::revoke, CALLER);
        });
        path("/v1/tenants", () -> {
            get(tenants::list, PLATFORM);
            post(tenants::create, PLATFORM);
        });
        post("/v1/evaluate", policy::evaluate, BODY, Capability.CONVERSATION, Capability.POLICY_ADMIN);
        path("/v1/policies/{tenant}", () -> {
            get(policy::getPolicy, PATH, Capability.POLICY_ADMIN, Capability.CONVERSATION);
            put(policy::putPolicy, PATH, Capability.POLICY_ADMIN);
        });
        path("/v1/constitution", () -> {
            get(policy::getConstitution, SHARED);
            // the tenant is inside the signed bundle: the handler checks it with TenantGuard
            post(policy::publishConstitution, CALLER, Capability.CONSTITUTION_PUBLISH);
            get("/{tenant}/hash", policy::getConstitutionHash, PATH);
        });
        path("/v1/conversation", () -> {
            post("/step", conversation::step, BODY_OR_CALLER, Capability.CONVERSATION);
            get("/stream", conversation::openStream, QUERY, Capability.CONVERSATION);
        });
        path("/v1/training", () -> {
            post("/enable", training::enable, BODY, Capability.TRAINING_ADMIN);
            // the holder may disable without training.admin: the training app checks who holds the lock
            post("/disable", training::disable, BODY);
            get("/status/{tenant}", training::status, PATH);
        });
        get("/v1/audit/decisions", audit::decisions, QUERY, Capability.AUDIT_READ);
        post("/v1/forecast", forecast::forecast, BODY, Capability.FORECAST_READ);
        get("/v1/forecast/{tenant}", forecast::tenantForecast, PATH, Capability.FORECAST_READ);
        path("/v1/slm", () -> {
            // per model and provider, over every tenant's calls: no tenant's own data
            get("/metrics", slm::metrics, SHARED, Capability.SLM_READ);
            get("/alerts/stream", slm::openAlertStream, SHARED, Capability.SLM_READ);
        });
    }
}
