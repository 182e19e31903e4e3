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
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.edge.slm.SlmHandlers;
import io.soma.streams.edge.training.TrainingHandlers;
import io.soma.streams.stores.query.StoreQueryService;

import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.path;
import static io.javalin.apibuilder.ApiBuilder.post;
import static io.javalin.apibuilder.ApiBuilder.put;

/**
 * Every route of the edge, in one place, with the capability each needs. A route without a role still needs
 * a valid bearer token ({@link AuthHandler}); {@link Access#PUBLIC} routes need none.
 */
public record EdgeRoutes(AuthHandler auth, RateLimitHandler rateLimit, PolicyHandlers policy,
                         ConversationHandlers conversation, HealthHandler health, MetricsHandler metrics,
                         TokenRoutes tokens, StoreLookups stores, AuditHandlers audit, TrainingHandlers training,
                         SlmHandlers slm, ForecastHandlers forecast) {

    void declare() {
        path("/health", () -> {
            get("/live", health::live, Access.PUBLIC);
            get("/ready", health::ready, Access.PUBLIC);
        });
        get("/metrics", metrics::scrape, Access.PUBLIC);
        path("/v1/tokens", () -> {
            post("/issue", tokens::issue, Access.PUBLIC);
            post("/verify", tokens::verify);
            post("/revoke", tokens::revoke);
        });
        post("/v1/evaluate", policy::evaluate, Capability.CONVERSATION, Capability.POLICY_ADMIN);
        path("/v1/policies/{tenant}", () -> {
            get(policy::getPolicy, Capability.POLICY_ADMIN, Capability.CONVERSATION);
            put(policy::putPolicy, Capability.POLICY_ADMIN);
        });
        path("/v1/constitution", () -> {
            get(policy::getConstitution);
            post(policy::publishConstitution, Capability.CONSTITUTION_PUBLISH);
            get("/{tenant}/hash", policy::getConstitutionHash);
        });
        path("/v1/conversation", () -> {
            post("/step", conversation::step, Capability.CONVERSATION);
            get("/stream", conversation::openStream, Capability.CONVERSATION);
        });
        path("/v1/training", () -> {
            post("/enable", training::enable, Capability.TRAINING_ADMIN);
            // the holder may disable without training.admin: the training app checks who holds the lock
            post("/disable", training::disable);
            get("/status/{tenant}", training::status);
        });
        get("/v1/audit/decisions", audit::decisions, Capability.AUDIT_READ);
        post("/v1/forecast", forecast::forecast, Capability.FORECAST_READ);
        get("/v1/forecast/{tenant}", forecast::tenantForecast, Capability.FORECAST_READ);
        path("/v1/slm", () -> {
            get("/metrics", slm::metrics, Capability.SLM_READ);
            get("/alerts/stream", slm::openAlertStream, Capability.SLM_READ);
        });
        // peers forward interactive queries here with the caller's own token
        get(StoreQueryService.INTERNAL_PATH + "/{store}/keys/{key}", stores::peerLookup);
        get(StoreQueryService.INTERNAL_PATH + "/{store}/windows/{key}", stores::peerWindows);
        get(StoreQueryService.INTERNAL_PATH + "/{store}/groups/{group}", stores::peerGroup);
    }
}
