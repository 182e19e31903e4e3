package io.soma.streams.bench;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastMetrics;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.PolicyMetrics;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.training.TrainingApp;
import org.apache.kafka.streams.Topology;

import java.util.Locale;

/**
 * The Streams apps the scaling benchmark runs, each built by its own {@code build(...)} with the configuration the
 * process gives it (defaults; the policy app trusts the example constitution key, as the demo does).
 */
enum BenchApp {
    POLICY(Topics.CONVERSATION_EVENTS.name(), Topics.POLICY_DECISIONS.name(), true),
    TRAINING(Topics.TRAINING_COMMANDS.name(), Topics.TRAINING_AUDIT.name(), true),
    /** Output per closed usage window: timed by committed offsets. */
    FORECAST(Topics.CONVERSATION_EVENTS.name(), Topics.TOKEN_USAGE.name(), false),
    /** Output per closed metrics window: timed by committed offsets. */
    SLM(Topics.CONVERSATION_EVENTS.name(), Topics.SLM_METRICS.name(), false);

    final String inputTopic;
    /** The app's main output: one record per input record when {@link #oneToOne}, else one per closed window. */
    final String output;
    final boolean oneToOne;

    BenchApp(String inputTopic, String output, boolean oneToOne) {
        this.inputTopic = inputTopic;
        this.output = output;
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
        };
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static BenchApp parse(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
}
