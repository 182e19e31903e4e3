package io.soma.streams.topologies.forecast;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The forecast app's Prometheus metrics (docs/forecasting.md): events dropped because their window had closed, and the
 * measured recent WAPE of each tenant's forecasts. Both are this instance's view: after a rebalance a tenant's
 * gauge moves to the instance that now owns it (the one it left drops it), and it goes with the tenant's last
 * forgotten key.
 */
public final class ForecastMetrics {
    private final Counter lateEvents;
    private final Gauge wape;

    public ForecastMetrics(PrometheusRegistry registry) {
        lateEvents = Counter.builder().name("token_usage_late_events_total")
                .help("conversation events that arrived after their usage window closed (beyond the grace period)")
                .labelNames("tenant").register(registry);
        wape = Gauge.builder().name("token_forecast_wape")
                .help("WAPE of the tenant's 24-hour-ahead forecasts over the last day of closed windows "
                        + "(the worst of the tenant's provider/model keys)")
                .labelNames("tenant").register(registry);
    }

    void lateEvent(String tenant) {
        lateEvents.labelValues(tenant).inc();
    }

    void recentWape(String tenant, double value) {
        wape.labelValues(tenant).set(value);
    }

    /** No series for the tenant on this instance: its keys were forgotten, or its task left. */
    void forgetWape(String tenant) {
        wape.remove(tenant);
    }

    /** Late events counted for {@code tenant} by this instance. */
    public double lateEvents(String tenant) {
        return lateEvents.labelValues(tenant).get();
    }

    public double recentWape(String tenant) {
        return wape.labelValues(tenant).get();
    }
}
