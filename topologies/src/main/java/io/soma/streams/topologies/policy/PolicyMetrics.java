package io.soma.streams.topologies.policy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.PolicyDecision;

/**
 * The policy app's Prometheus metrics counted as it works, listed in docs/policy.md ("Metrics"); the active
 * constitutions' series are read from its global table instead ({@link ActiveConstitutionMetrics}).
 */
public final class PolicyMetrics {
    private final Counter decisions;
    private final Histogram evaluationSeconds;
    private final Counter rejections;
    private final Counter incomplete;

    public PolicyMetrics(PrometheusRegistry registry) {
        decisions = Counter.builder().name("policy_decision_total").help("Policy decisions by outcome")
                .labelNames("tenant", "decision", "severity").register(registry);
        evaluationSeconds = Histogram.builder().name("policy_evaluation_seconds")
                .help("Time to evaluate one event against its compiled policy")
                // up to a second: the latency alert's 50 ms must lie below the highest finite bucket, or the
                // quantile of slow evaluations reads as that bucket's bound and the alert never fires
                .classicUpperBounds(0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005,
                        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
                .register(registry);
        incomplete = Counter.builder().name("policy_evaluation_incomplete_total")
                .help("Events decided fail closed (not every rule evaluated, or a decision too large), by reason")
                .labelNames("reason").register(registry);
        rejections = Counter.builder().name("constitution_rejections_total")
                .help("Constitution bundles refused, by reason").labelNames("reason").register(registry);
    }

    /** The decision as written, after {@link DecisionLimit}. */
    void decided(PolicyDecision d, double seconds) {
        decisions.labelValues(d.getTenant(), d.getDecision(), d.getSeverity()).inc();
        evaluationSeconds.observe(seconds);
        if (d.getReason() != null) {
            incomplete.labelValues(d.getReason()).inc();
        }
    }

    void rejected(String reason) {
        rejections.labelValues(reason).inc();
    }
}
