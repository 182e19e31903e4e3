package io.soma.streams.edge.replay;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.edge.policy.PolicySlice;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastMetrics;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.slm.SlmGauges;
import org.apache.kafka.streams.Topology;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the replay drill rebuilds and compares, and what it leaves out and why (docs/reliability.md#replay-drill).
 * The apps left out decide at the wall clock of processing, so a rebuild cannot reproduce them.
 */
final class ReplayScope {
    /** Read by the rebuilt apps as tables, or verified into one: copied before the apps start. */
    static final List<String> STATE_INPUTS = List.of(Topics.CONSTITUTION_UPDATED.name(), Topics.POLICY_RULEPACKS.name(),
            Topics.TRAINING_STATE.name(), Topics.MARKETPLACE_CATALOG.name());
    /** Copied once the rebuilt policy app serves every verified constitution, as the live one did before them. */
    static final List<String> EVENT_INPUTS = List.of(Topics.CONVERSATION_EVENTS.name());

    /**
     * Each compared output and how: the fields cleared are each the wall clock of processing, or follow it (an SLM
     * alert names the tenants that had called its model when the window cache was flushed, and a rebuild sees only
     * the events Kafka still keeps). slm.metrics carries
     * a key's 1-minute and 5-minute windows from two suppressed window stores; when each store's cache reaches its
     * suppression buffer follows the commit interval, a wall clock, so the two sizes interleave differently from
     * run to run: each size's own sequence is compared in order.
     */
    static final Map<String, OutputComparison.Rules> COMPARED = ordered(
            Topics.CONSTITUTION_ACTIVE.name(), OutputComparison.Rules.exact(),
            Topics.POLICY_DECISIONS.name(), OutputComparison.Rules.clearing("evaluated_at", "evaluation_micros"),
            Topics.TOKEN_USAGE.name(), OutputComparison.Rules.exact(),
            Topics.TOKEN_FORECASTS.name(), OutputComparison.Rules.exact(),
            Topics.SLM_METRICS.name(), new OutputComparison.Rules(List.of(), "window ms",
                    w -> (Long) w.get("window_end") - (Long) w.get("window_start")),
            Topics.SLM_ALERTS.name(), OutputComparison.Rules.clearing("raised_at", "tenants", "every_tenant"));

    private static final String TRAINING = "training app not rebuilt: commands are judged and locks stamped at the wall"
            + " clock of processing (a lock's expires_at, the expiry punctuation) and every audit gets a random event_id";
    private static final String BUDGET = "budget app not rebuilt: spend, reservations, expiries and period resets are"
            + " decided at the wall clock of processing and every audit gets a random event_id";
    private static final String MARKETPLACE = "marketplace app not rebuilt: entries and audits are stamped at the wall"
            + " clock of processing and every audit gets a random event_id";

    /** Outputs that are not compared, with the reason. */
    static final Map<String, String> NOT_COMPARED = ordered(
            Topics.TRAINING_CAPTURE.name(), "whether the policy app captures an allowed event depends on the tenant's"
                    + " training lock being unexpired at the wall clock of processing",
            Topics.POLICY_RULEPACK_REPLIES.name(), "rule-pack requests are not replayed: the sequencer numbers a version"
                    + " against the current ones, so an old request is refused as stale (policy.rulepacks is copied as"
                    + " state instead)",
            Topics.DEAD_LETTER, "written by every app and the archive; its headers name source offsets, which differ"
                    + " in a copy",
            Topics.CONSTITUTION_AUDIT.name(), "each verdict is stamped with the wall clock of the gate's decision, and"
                    + " its id names the bundle's offset on constitution.updated, which differs in a copy",
            Topics.TRAINING_STATE.name() + ", " + Topics.TRAINING_AUDIT.name(), TRAINING,
            Topics.BUDGET_REPLIES.name() + ", " + Topics.BUDGET_STATUS.name() + ", " + Topics.BUDGET_AUDIT.name() + ", "
                    + Topics.BUDGET_ALERTS.name(), BUDGET,
            Topics.MARKETPLACE_CATALOG.name() + ", " + Topics.MARKETPLACE_AUDIT.name(), MARKETPLACE);

    private ReplayScope() {
    }

    /** A rebuilt app: its application id in the live deployment and the topology built as a process builds it. */
    record RebuiltApp(String applicationId, Topology topology) {
    }

    /** The apps rebuilt, configured from {@code settings} as a Soma process configures them (metrics not exported). */
    static List<RebuiltApp> apps(Settings settings, AppSerdes serdes) {
        PrometheusRegistry unexported = new PrometheusRegistry();
        return List.of(
                new RebuiltApp(PolicyApp.APPLICATION_ID,
                        PolicyApp.build(PolicySlice.appConfig(settings, unexported), serdes)),
                new RebuiltApp(ForecastApp.APPLICATION_ID,
                        ForecastApp.build(ForecastApp.Config.from(settings, new ForecastMetrics(unexported)), serdes)),
                new RebuiltApp(SlmApp.APPLICATION_ID,
                        SlmApp.build(SlmApp.Config.from(settings, SlmGauges.of(settings, unexported)), serdes)));
    }

    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> ordered(Object... keysAndValues) {
        Map<String, V> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], (V) keysAndValues[i + 1]);
        }
        return map;
    }
}
