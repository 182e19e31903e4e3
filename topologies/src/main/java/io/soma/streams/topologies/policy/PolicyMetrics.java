package io.soma.streams.topologies.policy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.topologies.policy.evaluation.Evaluation;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The policy app's Prometheus metrics, listed in docs/policy.md ("Metrics"). */
public final class PolicyMetrics {
    private final Counter decisions;
    private final Histogram evaluationSeconds;
    private final Counter rejections;
    private final Counter incomplete;
    private final Info versionInfo;
    private final Map<String, String[]> activeLabels = new ConcurrentHashMap<>();
    private final Gauge syncTimestamp;

    public PolicyMetrics(PrometheusRegistry registry) {
        decisions = Counter.builder().name("policy_decision_total").help("Policy decisions by outcome")
                .labelNames("tenant", "decision", "severity").register(registry);
        evaluationSeconds = Histogram.builder().name("policy_evaluation_seconds")
                .help("Time to evaluate one event against its compiled policy")
                .classicUpperBounds(0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.01)
                .register(registry);
        incomplete = Counter.builder().name("policy_evaluation_incomplete_total")
                .help("Events decided without evaluating every rule (fail closed), by reason")
                .labelNames("reason").register(registry);
        rejections = Counter.builder().name("constitution_rejections_total")
                .help("Constitution bundles refused, by reason").labelNames("reason").register(registry);
        // exposed as constitution_version_info
        versionInfo = Info.builder().name("constitution_version")
                .help("The active constitution of each scope").labelNames("tenant", "version", "hash")
                .register(registry);
        syncTimestamp = Gauge.builder().name("constitution_sync_timestamp_seconds")
                .help("When the active constitution of a scope last changed").labelNames("tenant").register(registry);
    }

    void decided(String tenant, Evaluation e, double seconds) {
        decisions.labelValues(tenant, e.decision().wire(), e.severity().wire()).inc();
        evaluationSeconds.observe(seconds);
        if (e.reason() != null) {
            incomplete.labelValues(e.reason()).inc();
        }
    }

    void rejected(String reason) {
        rejections.labelValues(reason).inc();
    }

    /** A verified constitution became active for {@code scope} ("global" or a tenant). */
    public synchronized void activated(String scope, String version, String hash, long atEpochMillis) {
        String[] labels = {scope, version, hash};
        String[] previous = activeLabels.put(scope, labels);
        if (previous != null) {
            versionInfo.remove(previous);
        }
        versionInfo.addLabelValues(labels);
        syncTimestamp.labelValues(scope).set(atEpochMillis / 1000.0);
    }
}
