package io.soma.streams.topologies.slm;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides, from the previous alert state of a model@provider and its newly closed window, which alert
 * changes to emit. Pure: the caller keeps {@link Evaluation#state()} (e.g. as {@link AlertState#toBytes()}
 * in a store) and passes it back with the next window.
 *
 * <p>Semantics:
 * <ul>
 *   <li>A level is computed per window: latency BREACH when p95 &gt; breach, WARNING when p95 &gt; warn, else
 *   OK; error rate BREACH when errors / requests &gt; breach, else OK (strictly greater, as the SLO says).</li>
 *   <li>A transition is emitted only when the level differs from the stored one, so a run of breaching
 *   windows raises once and a run of healthy windows resolves once. WARNING → BREACH is a transition
 *   (ESCALATED) of the same alert, and so is BREACH → WARNING (DEESCALATED): every change of level is
 *   reported exactly once, and only a return to OK resolves.</li>
 *   <li>A window without evidence keeps the level: no latency when no request succeeded (p95 absent), no
 *   error rate without requests. An outage where every request fails thus breaches on error rate and leaves
 *   the latency alert as it was.</li>
 * </ul>
 */
public final class AlertStateMachine {
    private final AlertThresholds thresholds;

    public AlertStateMachine(AlertThresholds thresholds) {
        this.thresholds = thresholds;
    }

    /** The state to keep and the transitions to emit, in {@link AlertMetric} order. */
    public record Evaluation(AlertState state, List<AlertTransition> transitions) {
    }

    /** @param previous the stored state, {@code null} for a model@provider never seen (all OK) */
    public Evaluation evaluate(String model, String provider, AlertState previous, SlmWindowSummary window) {
        AlertThresholds.Limits limits = thresholds.limitsFor(model, provider);
        AlertState state = previous == null ? AlertState.ALL_OK : previous;
        List<AlertTransition> transitions = new ArrayList<>(2);
        if (window.latencyP95Ms() != null) {
            double p95 = window.latencyP95Ms();
            AlertLevel level = p95 > limits.latencyP95BreachMs() ? AlertLevel.BREACH
                    : p95 > limits.latencyP95WarnMs() ? AlertLevel.WARNING : AlertLevel.OK;
            Double threshold = switch (level) {
                case BREACH -> limits.latencyP95BreachMs();
                case WARNING -> limits.latencyP95WarnMs();
                case OK -> null;
            };
            state = change(state, AlertMetric.LATENCY_P95, level, p95, threshold, transitions);
        }
        if (window.requests() > 0) {
            boolean breached = window.errorRate() > limits.errorRateBreach();
            state = change(state, AlertMetric.ERROR_RATE, breached ? AlertLevel.BREACH : AlertLevel.OK,
                    window.errorRate(), breached ? limits.errorRateBreach() : null, transitions);
        }
        return new Evaluation(state, List.copyOf(transitions));
    }

    private static AlertState change(AlertState state, AlertMetric metric, AlertLevel level, double value,
                                     Double threshold, List<AlertTransition> transitions) {
        AlertLevel before = state.level(metric);
        if (before == level) {
            return state;
        }
        transitions.add(new AlertTransition(metric, before, level, value, threshold));
        return state.with(metric, level);
    }
}
