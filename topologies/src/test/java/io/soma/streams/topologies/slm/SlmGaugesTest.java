package io.soma.streams.topologies.slm;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SlmGaugesTest {
    private static final Instant END = Instant.parse("2023-12-19T10:01:00Z");
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final SlmGauges gauges = new SlmGauges(registry, Duration.ofHours(24));

    private Optional<Double> value(String name, String model, String provider) {
        return registry.scrape().stream().filter(s -> s.getMetadata().getName().equals(name))
                .flatMap(s -> ((GaugeSnapshot) s).getDataPoints().stream())
                .filter(p -> p.getLabels().equals(Labels.of("model", model, "provider", provider)))
                .map(GaugeSnapshot.GaugeDataPointSnapshot::getValue).findFirst();
    }

    @Test
    void shouldShowTheLatestWindowOfEachModelAtItsProvider() {
        SlmWindowSummary groq = SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file("groq_70b.json"))).summary(Duration.ofMinutes(1));
        SlmWindowSummary lepton = SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file("lepton_70b.json"))).summary(Duration.ofMinutes(1));
        gauges.closed("llama-2-70b-chat", "groq", END, groq);
        gauges.closed("llama-2-70b-chat", "lepton", END, lepton);

        assertThat(value("slm_latency_p95_seconds", "llama-2-70b-chat", "groq")).contains(groq.latencyP95Ms() / 1000);
        assertThat(value("slm_ttft_p50_seconds", "llama-2-70b-chat", "groq")).contains(groq.ttftP50Ms() / 1000);
        assertThat(value("slm_window_requests", "llama-2-70b-chat", "groq")).contains(150.0);
        assertThat(value("slm_error_rate", "llama-2-70b-chat", "lepton")).contains(130 / 150.0);
        assertThat(value("slm_window_end_timestamp_seconds", "llama-2-70b-chat", "lepton")).contains(END.getEpochSecond() * 1.0);
    }

    @Test
    void shouldDropALatencyTheLatestWindowCouldNotMeasure() {
        List<LlmPerfRecords.Request> lepton = LlmPerfRecords.read(SlmDatasets.file("lepton_13b.json"));
        gauges.closed("llama-2-13b-chat", "lepton", END, SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file("lepton_13b.json")))
                .summary(Duration.ofMinutes(1)));
        assertThat(value("slm_latency_p95_seconds", "llama-2-13b-chat", "lepton")).isPresent();

        // the next minute: only rate-limited requests, so no latency was measured
        List<SlmRequest> failedOnly = lepton.stream().filter(LlmPerfRecords.Request::failed)
                .map(LlmPerfRecords.Request::toSlmRequest).toList();
        gauges.closed("llama-2-13b-chat", "lepton", END.plusSeconds(60),
                SlmDatasets.window(failedOnly).summary(Duration.ofMinutes(1)));
        assertThat(value("slm_latency_p95_seconds", "llama-2-13b-chat", "lepton")).isEmpty();
        assertThat(value("slm_error_rate", "llama-2-13b-chat", "lepton")).contains(1.0);
    }

    /** Events may name any model: one with no window for the idle limit loses its series, the others keep theirs. */
    @Test
    void shouldDropTheSeriesOfAModelWithNoWindowForTheIdleLimit() {
        SlmWindowSummary groq = SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file("groq_70b.json"))).summary(Duration.ofMinutes(1));
        gauges.closed("llama-2-70b-chat", "lepton", END, groq);
        gauges.closed("llama-2-70b-chat", "groq", END, groq);

        gauges.closed("llama-2-70b-chat", "groq", END.plus(Duration.ofHours(23)), groq);
        assertThat(value("slm_window_requests", "llama-2-70b-chat", "lepton")).isPresent();

        gauges.closed("llama-2-70b-chat", "groq", END.plus(Duration.ofHours(25)), groq);
        assertThat(registry.scrape().stream().flatMap(s -> ((GaugeSnapshot) s).getDataPoints().stream())
                .filter(p -> p.getLabels().get("provider").equals("lepton"))).isEmpty();
        assertThat(value("slm_window_requests", "llama-2-70b-chat", "groq")).contains(150.0);
    }
}
