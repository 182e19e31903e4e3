package io.soma.streams.bench;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.budget.BudgetApp;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastMetrics;
import io.soma.streams.topologies.marketplace.ComplianceChecks;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.MarketplaceApp;
import io.soma.streams.topologies.marketplace.MarketplaceMetrics;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.PolicyMetrics;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.StreamsSettings;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.training.TrainingApp;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Streams apps the scaling benchmark runs, each built by its own {@code build(...)} with the configuration the
 * process gives it (defaults; the policy app trusts the example constitution key, as the demo does).
 */
enum BenchApp {
    POLICY(PolicyApp.APPLICATION_ID, List.of(Topics.CONVERSATION_EVENTS), Topics.POLICY_DECISIONS, true),
    TRAINING(TrainingApp.APPLICATION_ID, List.of(Topics.TRAINING_COMMANDS), Topics.TRAINING_AUDIT, true),
    /** Output per closed usage window: timed by committed offsets. */
    FORECAST(ForecastApp.APPLICATION_ID, List.of(Topics.CONVERSATION_EVENTS), Topics.TOKEN_USAGE, false),
    /** Output per closed metrics window: timed by committed offsets. */
    SLM(SlmApp.APPLICATION_ID, List.of(Topics.CONVERSATION_EVENTS), Topics.SLM_METRICS, false),
    /**
     * Steps: a reservation and its response. A reply per reservation, none per response: timed by committed offsets.
     * The budgets ({@code budget.definitions}, compacted) are loaded before, as the example policy is.
     */
    BUDGET(BudgetApp.APPLICATION_ID, List.of(Topics.BUDGET_RESERVATIONS, Topics.CONVERSATION_EVENTS),
            Topics.BUDGET_REPLIES, false),
    /** One audit per submission. */
    MARKETPLACE(MarketplaceApp.APPLICATION_ID, List.of(Topics.MARKETPLACE_SUBMISSIONS), Topics.MARKETPLACE_AUDIT,
            true);

    /** A Streams setting to try against the process's defaults, in every app instance: {@code -Dbench.streams.<setting>}. */
    static final String STREAMS_OVERRIDE_PREFIX = "bench.streams.";

    /** The app's application id in the process, which its own settings (the commit interval) are keyed by. */
    final String applicationId;

    /** What the app reads; the copy reads the same topics. */
    final List<String> inputTopics;
    /** The app's main output: one record per input record when {@link #oneToOne}, else counted only. */
    final String output;
    final boolean oneToOne;

    BenchApp(String applicationId, List<Topics.Topic<?>> inputTopics, Topics.Topic<?> output, boolean oneToOne) {
        this.applicationId = applicationId;
        this.inputTopics = inputTopics.stream().map(Topics.Topic::name).toList();
        this.output = output.name();
        this.oneToOne = oneToOne;
    }

    Topology topology(AppSerdes serdes) {
        PrometheusRegistry metrics = new PrometheusRegistry();
        return switch (this) {
            case POLICY -> PolicyApp.build(new PolicyApp.Config(ExamplePolicy.verifier(), new PolicyMetrics(metrics)),
                    serdes);
            case TRAINING -> TrainingApp.build(TrainingApp.Config.defaults(), serdes);
            case FORECAST -> ForecastApp.build(ForecastApp.Config.defaults(new ForecastMetrics(metrics)), serdes);
            case SLM -> SlmApp.build(SlmApp.Config.defaults(), serdes);
            case BUDGET -> BudgetApp.build(BudgetApp.Config.defaults(), serdes);
            case MARKETPLACE -> MarketplaceApp.build(new MarketplaceApp.Config(
                    List.of(ExampleCapsulePublisher.publisherKey()), ComplianceChecks.Config.defaults(),
                    new MarketplaceMetrics(metrics)), serdes);
        };
    }

    /**
     * The commit interval the process runs this app with (its own, {@code streams.commit.interval.ms.<application
     * id>}, else the process-wide one), unless {@code -Dbench.streams.commit.interval.ms} sets one to try.
     */
    int commitIntervalMs() {
        String tried = System.getProperty(STREAMS_OVERRIDE_PREFIX + StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        if (tried != null) {
            return Integer.parseInt(tried.trim());
        }
        Settings defaults = Settings.of(Map.of());
        return StreamsSettings.commitIntervalsByApp(defaults).getOrDefault(applicationId,
                defaults.integer("streams.commit.interval.ms"));
    }

    /** The producer {@code batch.size} the process gives this app ({@code streams.producer.batch.size.<application id>}). */
    Optional<Integer> producerBatchBytes() {
        return Optional.ofNullable(StreamsSettings.producerBatchSizesByApp(Settings.of(Map.of())).get(applicationId));
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static BenchApp parse(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
