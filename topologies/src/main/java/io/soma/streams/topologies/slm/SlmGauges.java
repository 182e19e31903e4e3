package io.soma.streams.topologies.slm;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.topologies.runtime.Settings;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus gauges of the latest closed 1-minute window of each model@provider this instance aggregates
 * (labels {@code model}, {@code provider}). A metric the window could not measure (no successful request, so no
 * latency) is removed rather than left at the previous window's value. A model whose latest window ended more than
 * the idle limit before the newest window seen here loses its series: events may name any model, and each name
 * kept ten series for good.
 */
public final class SlmGauges implements SlmApp.WindowListener {
    /** How often, in window time, the models gone idle are looked for. */
    private static final Duration IDLE_CHECK = Duration.ofHours(1);
    private final Gauge requests;
    private final Gauge errorRate;
    private final Gauge latencyP50;
    private final Gauge latencyP95;
    private final Gauge latencyP99;
    private final Gauge ttftP50;
    private final Gauge ttftP95;
    private final Gauge outputTokensPerSecond;
    private final Gauge score;
    private final Gauge windowEnd;
    private final List<Gauge> all;
    private final Duration idleLimit;
    /** The end of each model's latest window, by model and provider: closed() runs on every stream thread. */
    private final Map<List<String>, Instant> latest = new ConcurrentHashMap<>();
    private Instant lastCheck = Instant.MIN;

    /** @param idleLimit how long a model's series outlive its latest window ({@code slm.store.retention}) */
    public SlmGauges(PrometheusRegistry registry, Duration idleLimit) {
        this.idleLimit = idleLimit;
        requests = gauge(registry, "slm_window_requests", "Requests in the latest closed 1-minute window");
        errorRate = gauge(registry, "slm_error_rate", "Errors / requests of the latest closed 1-minute window");
        latencyP50 = gauge(registry, "slm_latency_p50_seconds", "Median end-to-end latency of the latest 1-minute window");
        latencyP95 = gauge(registry, "slm_latency_p95_seconds", "p95 end-to-end latency of the latest 1-minute window");
        latencyP99 = gauge(registry, "slm_latency_p99_seconds", "p99 end-to-end latency of the latest 1-minute window");
        ttftP50 = gauge(registry, "slm_ttft_p50_seconds", "Median time to first token of the latest 1-minute window");
        ttftP95 = gauge(registry, "slm_ttft_p95_seconds", "p95 time to first token of the latest 1-minute window");
        outputTokensPerSecond = gauge(registry, "slm_output_tokens_per_second",
                "Generation speed (output tokens / generation time) of the latest 1-minute window");
        score = gauge(registry, "slm_score", "Score of the latest 1-minute window (docs/slm-metrics.md)");
        windowEnd = gauge(registry, "slm_window_end_timestamp_seconds", "End of the latest closed 1-minute window");
        all = List.of(requests, errorRate, latencyP50, latencyP95, latencyP99, ttftP50, ttftP95, outputTokensPerSecond,
                score, windowEnd);
    }

    private static Gauge gauge(PrometheusRegistry registry, String name, String help) {
        return Gauge.builder().name(name).help(help).labelNames("model", "provider").register(registry);
    }

    /** Gauges whose series outlive a model's latest window by {@code slm.store.retention}, as its windows do. */
    public static SlmGauges of(Settings settings, PrometheusRegistry registry) {
        return new SlmGauges(registry, settings.duration("slm.store.retention"));
    }

    @Override
    public void closed(String model, String provider, Instant end, SlmWindowSummary window) {
        // set under the key's entry, where removeIdle removes them: a removal never undoes a window just shown
        latest.compute(List.of(model, provider), (key, shown) -> {
            if (shown != null && shown.isAfter(end)) {
                return shown; // a newer window is on show already (another thread, after a task moved)
            }
            show(model, provider, end, window);
            return end;
        });
        removeIdle(end);
    }

    private void show(String model, String provider, Instant end, SlmWindowSummary window) {
        requests.labelValues(model, provider).set(window.requests());
        errorRate.labelValues(model, provider).set(window.errorRate());
        setOrRemove(latencyP50, model, provider, seconds(window.latencyP50Ms()));
        setOrRemove(latencyP95, model, provider, seconds(window.latencyP95Ms()));
        setOrRemove(latencyP99, model, provider, seconds(window.latencyP99Ms()));
        setOrRemove(ttftP50, model, provider, seconds(window.ttftP50Ms()));
        setOrRemove(ttftP95, model, provider, seconds(window.ttftP95Ms()));
        setOrRemove(outputTokensPerSecond, model, provider, window.outputTokensPerSecond());
        setOrRemove(score, model, provider, window.score());
        windowEnd.labelValues(model, provider).set(end.toEpochMilli() / 1000.0);
    }

    private synchronized void removeIdle(Instant now) {
        if (Duration.between(lastCheck, now).compareTo(IDLE_CHECK) < 0) {
            return;
        }
        lastCheck = now;
        Instant since = now.minus(idleLimit);
        latest.keySet().forEach(key -> latest.computeIfPresent(key, (k, end) -> {
            if (!end.isBefore(since)) {
                return end;
            }
            all.forEach(g -> g.remove(k.get(0), k.get(1)));
            return null;
        }));
    }

    private static Double seconds(Double ms) {
        return ms == null ? null : ms / 1000;
    }

    private static void setOrRemove(Gauge gauge, String model, String provider, Double value) {
        if (value == null) {
            gauge.remove(model, provider);
        } else {
            gauge.labelValues(model, provider).set(value);
        }
    }
}
