package io.soma.streams.topologies.slm;

import io.soma.streams.topologies.slm.AlertTransition.Kind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Replays each provider's LLMPerf requests in file order (the order they were measured), 25 to a window,
 * through the state machine, as the SLM app does with its closed 1-minute windows.
 */
class AlertStateMachineTest {
    private static final int REQUESTS_PER_WINDOW = 25;

    /** What one window emitted, as "window index: metric kind level". */
    private static List<String> replay(String fileName, AlertThresholds thresholds) {
        List<SlmRequest> requests = SlmDatasets.requests(SlmDatasets.file(fileName));
        AlertStateMachine machine = new AlertStateMachine(thresholds);
        AlertState state = null;
        List<String> emitted = new ArrayList<>();
        for (int from = 0, window = 0; from < requests.size(); from += REQUESTS_PER_WINDOW, window++) {
            List<SlmRequest> chunk = requests.subList(from, Math.min(from + REQUESTS_PER_WINDOW, requests.size()));
            SlmRequest first = chunk.get(0);
            SlmWindowSummary summary = SlmDatasets.window(chunk).summary(Duration.ofMinutes(1));
            AlertStateMachine.Evaluation evaluation = machine.evaluate(first.model(), first.provider(),
                    state == null ? null : AlertState.fromBytes(state.toBytes()), summary);
            state = evaluation.state();
            for (AlertTransition t : evaluation.transitions()) {
                emitted.add(window + ": " + t.metric().wireName() + " " + t.kind() + " " + t.level());
            }
        }
        return emitted;
    }

    @Test
    void shouldRaiseOnceAndResolveOnceWhenAProviderRecovers() {
        // together 13b: windows of p95 ≈ 1.7 s, then one at 3.2 s holding a failed request, then ≈ 1.8 s again
        AlertThresholds thresholds = AlertThresholds.fromConfig(Map.of(
                "slm.alerts.override.llama-2-13b-chat@together.latency-p95-warn-ms", "2000",
                "slm.alerts.override.llama-2-13b-chat@together.latency-p95-breach-ms", "3000"));

        assertThat(replay("together_13b.json", thresholds)).containsExactly(
                "2: latency_p95 RAISED BREACH",
                "2: error_rate RAISED BREACH",
                "3: latency_p95 RESOLVED OK",
                "3: error_rate RESOLVED OK");
    }

    @Test
    void shouldEmitNothingWhileEveryWindowBreaches() {
        // anyscale 13b: every window's p95 lies between 1.40 s and 1.60 s, above the 1.2 s SLO
        assertThat(replay("anyscale_13b.json", AlertThresholds.defaults()))
                .containsExactly("0: latency_p95 RAISED BREACH");
    }

    @Test
    void shouldEmitNothingForAHealthyProvider() {
        // groq 70b: every window's p95 is below 1 s, no errors
        assertThat(replay("groq_70b.json", AlertThresholds.defaults())).isEmpty();
    }

    @Test
    void shouldKeepTheLatencyAlertThroughWindowsWhereEveryRequestFailed() {
        // lepton 13b: windows 1-4 are all rate-limited (no latency at all), window 5 breaches again
        assertThat(replay("lepton_13b.json", AlertThresholds.defaults())).containsExactly(
                "0: latency_p95 RAISED BREACH",
                "0: error_rate RAISED BREACH");
    }

    @Test
    void shouldEscalateAndDeescalateBetweenWarningAndBreach() {
        // replicate 70b: p95 71.5 s in the first window, ≈ 12.5 s in the next four, 13.1 s in the last
        AlertThresholds thresholds = AlertThresholds.fromConfig(Map.of(
                "slm.alerts.override.llama-2-70b-chat@replicate.latency-p95-warn-ms", "12000",
                "slm.alerts.override.llama-2-70b-chat@replicate.latency-p95-breach-ms", "12900"));

        assertThat(replay("replicate_70b.json", thresholds)).containsExactly(
                "0: latency_p95 RAISED BREACH",
                "1: latency_p95 DEESCALATED WARNING",
                "5: latency_p95 ESCALATED BREACH");
    }

    @Test
    void shouldReportTheValueAndTheThresholdCrossed() {
        List<SlmRequest> requests = SlmDatasets.requests(SlmDatasets.file("anyscale_13b.json"));
        SlmWindowSummary summary = SlmDatasets.window(requests).summary(Duration.ofMinutes(1));
        AlertStateMachine machine = new AlertStateMachine(AlertThresholds.defaults());

        AlertTransition raised = machine.evaluate("llama-2-13b-chat", "anyscale", null, summary).transitions().get(0);

        assertThat(raised.metric()).isEqualTo(AlertMetric.LATENCY_P95);
        assertThat(raised.previousLevel()).isEqualTo(AlertLevel.OK);
        assertThat(raised.value()).isEqualTo(summary.latencyP95Ms());
        assertThat(raised.threshold()).isEqualTo(1200.0);
        assertThat(raised.kind()).isEqualTo(Kind.RAISED);
        assertThat(raised.message("llama-2-13b-chat@anyscale"))
                .isEqualTo("llama-2-13b-chat@anyscale latency_p95 raised (OK → BREACH): p95 latency 1533 ms > 1200 ms");
    }

    @Test
    void shouldRoundTripTheStoredState() {
        AlertState state = new AlertState(AlertLevel.WARNING, AlertLevel.BREACH);
        assertThat(AlertState.fromBytes(state.toBytes())).isEqualTo(state);
        assertThat(AlertState.ALL_OK.toBytes()).containsExactly(1, 0, 0);
        assertThatThrownBy(() -> AlertState.fromBytes(new byte[]{1, 7, 0})).hasMessageContaining("level code 7");
    }
}
