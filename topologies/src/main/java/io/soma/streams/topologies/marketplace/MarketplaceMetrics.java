package io.soma.streams.topologies.marketplace;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The marketplace app's Prometheus metrics (docs/marketplace.md). Like every Streams metric here they count work
 * done, not work committed: a task redone after a crash counts its records again.
 */
public final class MarketplaceMetrics {
    private final Counter refusedSubmissions;
    private final Counter transitions;
    private final Counter refusedReviews;

    public MarketplaceMetrics(PrometheusRegistry registry) {
        refusedSubmissions = Counter.builder().name("marketplace_submissions_refused_total")
                .help("Capsule submissions refused (sent to soma.dlq), by reason").labelNames("reason").register(registry);
        transitions = Counter.builder().name("marketplace_transitions_total")
                .help("Reviewer-workflow transitions, by action").labelNames("action").register(registry);
        refusedReviews = Counter.builder().name("marketplace_reviews_refused_total")
                .help("Review commands refused, by kind").labelNames("kind").register(registry);
    }

    void submissionRefused(AttestationVerifier.Reason reason) {
        refusedSubmissions.labelValues(reason.wire()).inc();
    }

    void transitioned(String action) {
        transitions.labelValues(action).inc();
    }

    void reviewRefused(ReviewWorkflow.RefusalKind kind) {
        refusedReviews.labelValues(kind.wire()).inc();
    }
}
