package io.soma.streams.topologies.slm;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertThresholdsTest {

    @Test
    void shouldDefaultToTheSquadsSlo() {
        assertThat(AlertThresholds.defaults().limitsFor("llama-2-70b-chat", "groq"))
                .isEqualTo(new AlertThresholds.Limits(1000, 1200, 0.02));
    }

    @Test
    void shouldResolveEachLimitFromModelAtProviderThenModelThenGlobal() {
        AlertThresholds thresholds = AlertThresholds.fromConfig(Map.of(
                "slm.alerts.error-rate-breach", "0.05",
                "slm.alerts.override.llama-2-70b-chat.latency-p95-warn-ms", "2500",
                "slm.alerts.override.llama-2-70b-chat.latency-p95-breach-ms", "3000",
                "slm.alerts.override.llama-2-70b-chat@groq.latency-p95-breach-ms", "2600",
                "kafka.bootstrap.servers", "127.0.0.1:9092"));

        assertThat(thresholds.limitsFor("llama-2-70b-chat", "groq")).isEqualTo(new AlertThresholds.Limits(2500, 2600, 0.05));
        assertThat(thresholds.limitsFor("llama-2-70b-chat", "together")).isEqualTo(new AlertThresholds.Limits(2500, 3000, 0.05));
        assertThat(thresholds.limitsFor("llama-2-7b-chat", "together")).isEqualTo(new AlertThresholds.Limits(1000, 1200, 0.05));
    }

    @Test
    void shouldAcceptModelNamesWithDots() {
        AlertThresholds thresholds = AlertThresholds.fromConfig(Map.of(
                "slm.alerts.override.llama-3.1-8b@together.latency-p95-warn-ms", "900"));
        assertThat(thresholds.limitsFor("llama-3.1-8b", "together").latencyP95WarnMs()).isEqualTo(900);
    }

    @Test
    void shouldRejectUnknownSettingsAndContradictoryLimits() {
        assertThatThrownBy(() -> AlertThresholds.fromConfig(Map.of("slm.alerts.latency-p99-warn-ms", "1")))
                .hasMessageContaining("unknown alert threshold setting");
        assertThatThrownBy(() -> AlertThresholds.fromConfig(Map.of("slm.alerts.groq.latency-p95-warn-ms", "1")))
                .hasMessageContaining("slm.alerts.override.");
        assertThatThrownBy(() -> AlertThresholds.fromConfig(Map.of("slm.alerts.latency-p95-warn-ms", "fast")))
                .hasMessageContaining("must be a number");
        assertThatThrownBy(() -> AlertThresholds.fromConfig(Map.of("slm.alerts.override.m@p.latency-p95-warn-ms", "1500")))
                .hasMessageContaining("warn (1500.0 ms) <= breach (1200.0 ms)");
    }
}
