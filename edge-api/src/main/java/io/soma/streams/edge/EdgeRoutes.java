package io.soma.streams.edge;

import io.soma.streams.edge.health.HealthHandler;
import io.soma.streams.edge.metrics.MetricsHandler;

import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.path;

/** Every route of the edge, in one place. */
public record EdgeRoutes(HealthHandler health, MetricsHandler metrics) {

    void declare() {
        path("/health", () -> {
            get("/live", health::live);
            get("/ready", health::ready);
        });
        get("/metrics", metrics::scrape);
    }
}
