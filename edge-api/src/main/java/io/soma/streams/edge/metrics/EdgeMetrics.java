package io.soma.streams.edge.metrics;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Request counters and latency histograms of the edge. Routes are labelled by their template
 * ({@code /v1/policies/{tenant}}), never by the raw path, so label cardinality stays bounded. An event stream is
 * counted but not timed: it ends when its client leaves, minutes or hours on, and as a latency it would fill the
 * histogram's top bucket and set off the latency alert (its delivery has metrics of its own). Nor are the health
 * probes timed: a pod restoring its state answers them 503 a dozen times a minute, which the error-rate alert
 * would count as users' errors ({@code soma_ready} says it).
 */
public final class EdgeMetrics {
    private static final String STARTED = "soma.request.started";
    private static final String EVENT_STREAM = "text/event-stream";
    private static final String HEALTH = "/health/";
    private final Counter requests;
    private final Histogram latency;

    public EdgeMetrics(PrometheusRegistry registry) {
        requests = Counter.builder().name("orchestrator_requests_total")
                .help("Edge requests by route and the policy decision they carried ('none' without one)")
                .labelNames("route", "decision").register(registry);
        latency = Histogram.builder().name("edge_request_duration_seconds")
                .help("Edge request latency in seconds")
                .labelNames("route", "method", "status").register(registry);
    }

    public void install(Javalin app) {
        app.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
        app.after(this::record);
    }

    private void record(Context ctx) {
        Long started = ctx.attribute(STARTED);
        String route = ctx.endpointHandlerPath();
        if (started == null || route.equals("*")) {
            return;
        }
        String decision = ctx.res().getHeader("X-Policy-Decision");
        requests.labelValues(route, decision == null ? "none" : decision).inc();
        String type = ctx.res().getContentType();
        if ((type != null && type.startsWith(EVENT_STREAM)) || route.startsWith(HEALTH)) {
            return;
        }
        latency.labelValues(route, ctx.method().name(), Integer.toString(ctx.statusCode()))
                .observe((System.nanoTime() - started) / 1e9);
    }
}
