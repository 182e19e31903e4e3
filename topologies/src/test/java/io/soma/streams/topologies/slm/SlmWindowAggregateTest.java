package io.soma.streams.topologies.slm;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.runtime.EventMeasures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SlmWindowAggregateTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final double REQUIRED_RELATIVE_ERROR = 0.01;

    static List<Path> files() {
        return LlmPerfRecords.files(TestPaths.dataDir());
    }

    @ParameterizedTest
    @MethodSource("files")
    void shouldKeepEveryQuantileWithinOnePercentOfTheExactValue(Path file) {
        List<SlmRequest> requests = SlmDatasets.requests(file);
        SlmWindowAggregate window = SlmDatasets.window(requests);
        assertQuantiles(requests, SlmRequest::endToEndLatencyMs, window::endToEndLatencyMs, LlmPerfReport.LATENCY_QUANTILES);
        assertQuantiles(requests, SlmRequest::timeToFirstTokenMs, window::timeToFirstTokenMs, LlmPerfReport.TTFT_QUANTILES);
    }

    private static void assertQuantiles(List<SlmRequest> requests, ToDoubleFunction<SlmRequest> value,
                                        DoubleUnaryOperator sketch, double[] quantiles) {
        double[] sorted = LlmPerfReport.sortedSuccessful(requests, value);
        for (double q : quantiles) {
            double exact = LlmPerfReport.lowerQuantile(sorted, q);
            assertThat(LlmPerfReport.relativeError(sketch.applyAsDouble(q), exact))
                    .as("q=%s of %s", q, requests.get(0).key())
                    .isLessThanOrEqualTo(REQUIRED_RELATIVE_ERROR);
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void shouldCountRequestsErrorsAndTokensExactly(Path file) {
        List<LlmPerfRecords.Request> records = LlmPerfRecords.read(file);
        SlmWindowSummary summary = SlmDatasets.window(SlmDatasets.requests(file)).summary(MINUTE);
        List<LlmPerfRecords.Request> succeeded = records.stream().filter(r -> !r.failed()).toList();
        assertThat(summary.requests()).isEqualTo(records.size());
        assertThat(summary.errors()).isEqualTo(records.size() - succeeded.size());
        assertThat(summary.inputTokens()).isEqualTo(succeeded.stream().mapToLong(LlmPerfRecords.Request::inputTokens).sum());
        assertThat(summary.outputTokens()).isEqualTo(succeeded.stream().mapToLong(LlmPerfRecords.Request::outputTokens).sum());
        // generation timed: more than the durations' rounding (1 ms) between the first token and the end
        List<LlmPerfRecords.Request> timed = succeeded.stream()
                .filter(r -> r.endToEndLatencyS() - r.ttftS() > EventMeasures.ROUNDING_MS / 1_000).toList();
        double generationSeconds = timed.stream().mapToDouble(r -> r.endToEndLatencyS() - r.ttftS()).sum();
        assertThat(summary.outputTokensPerSecond()).isCloseTo(
                timed.stream().mapToLong(LlmPerfRecords.Request::outputTokens).sum() / generationSeconds, within(1e-6));
        assertThat(summary.requestsPerSecond()).isEqualTo(records.size() / 60.0);
    }

    @Test
    void shouldCountTheFailuresOfTheProvidersThatFailedMost() {
        Map<String, Long> errors = Map.of("lepton_7b.json", 130L, "lepton_13b.json", 130L, "lepton_70b.json", 130L,
                "bedrock_13b.json", 97L, "bedrock_70b.json", 49L, "perplexity_70b.json", 2L, "together_13b.json", 1L,
                "groq_70b.json", 0L);
        errors.forEach((name, expected) -> {
            SlmWindowSummary summary = SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file(name))).summary(MINUTE);
            assertThat(summary.errors()).as(name).isEqualTo(expected);
            assertThat(summary.errorRate()).as(name).isEqualTo(expected / 150.0);
        });
    }

    @ParameterizedTest
    @MethodSource("files")
    void shouldMergeTwoHalvesToTheSameWindowAsOnePassInEitherOrder(Path file) {
        List<SlmRequest> requests = SlmDatasets.requests(file);
        List<SlmRequest> first = requests.subList(0, requests.size() / 2);
        List<SlmRequest> second = requests.subList(requests.size() / 2, requests.size());
        SlmWindowSummary onePass = SlmDatasets.window(requests).summary(MINUTE);

        SlmWindowAggregate firstThenSecond = SlmDatasets.window(first).merge(SlmDatasets.window(second));
        SlmWindowAggregate secondThenFirst = SlmDatasets.window(second).merge(SlmDatasets.window(first));

        assertThat(firstThenSecond.summary(MINUTE)).isEqualTo(onePass);
        assertThat(secondThenFirst.summary(MINUTE)).isEqualTo(onePass);
    }

    @ParameterizedTest
    @MethodSource("files")
    void shouldMergeWindowsRestoredFromTheirBytes(Path file) {
        List<SlmRequest> requests = SlmDatasets.requests(file);
        byte[] firstHalf = SlmDatasets.window(requests.subList(0, requests.size() / 2)).toBytes();
        byte[] secondHalf = SlmDatasets.window(requests.subList(requests.size() / 2, requests.size())).toBytes();

        SlmWindowAggregate merged = SlmWindowAggregate.fromBytes(firstHalf).merge(SlmWindowAggregate.fromBytes(secondHalf));

        assertThat(merged.summary(MINUTE)).isEqualTo(SlmDatasets.window(requests).summary(MINUTE));
    }

    @ParameterizedTest
    @MethodSource("files")
    void shouldRoundTripThroughBytesExactly(Path file) {
        SlmWindowAggregate window = SlmDatasets.window(SlmDatasets.requests(file));
        byte[] bytes = window.toBytes();

        SlmWindowAggregate restored = SlmWindowAggregate.fromBytes(bytes);

        assertThat(restored.toBytes()).isEqualTo(bytes);
        assertThat(restored.summary(MINUTE)).isEqualTo(window.summary(MINUTE));
        assertThat(restored.endToEndLatencySketch()).isEqualTo(window.endToEndLatencySketch());
        assertThat(restored.timeToFirstTokenSketch()).isEqualTo(window.timeToFirstTokenSketch());
    }

    @Test
    void shouldRoundTripAnEmptyWindow() {
        SlmWindowAggregate empty = SlmWindowAggregate.fromBytes(new SlmWindowAggregate().toBytes());
        SlmWindowSummary summary = empty.summary(MINUTE);
        assertThat(summary.requests()).isZero();
        assertThat(summary.errorRate()).isZero();
        assertThat(summary.latencyP95Ms()).isNull();
        assertThat(summary.score()).isNull();
    }

    @Test
    void shouldRejectBytesOfAnotherFormat() {
        byte[] bytes = new SlmWindowAggregate().toBytes();
        bytes[0] = 2;
        assertThatThrownBy(() -> SlmWindowAggregate.fromBytes(bytes)).hasMessageContaining("version 2");
        byte[] truncated = Arrays.copyOf(SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file("groq_70b.json"))).toBytes(), 20);
        assertThatThrownBy(() -> SlmWindowAggregate.fromBytes(truncated)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * An answer sent whole has its first token at its end: its output tokens over no generation time read as millions
     * of tokens a second (600 instead of 100 with one such request beside a streamed one).
     */
    @Test
    void shouldTakeGenerationSpeedOnlyFromRequestsWhoseGenerationWasTimed() {
        SlmRequest streamed = SlmDatasets.requests(SlmDatasets.file("groq_70b.json")).stream()
                .filter(r -> !r.failed()).findFirst().orElseThrow();
        SlmRequest sentWhole = new SlmRequest(streamed.model(), streamed.provider(), false, 3_000.001, 3_000.0, 100, 900);
        double streamedSpeed = streamed.outputTokens() * 1_000.0
                / (streamed.endToEndLatencyMs() - streamed.timeToFirstTokenMs());

        SlmWindowSummary summary = SlmDatasets.window(List.of(streamed, sentWhole)).summary(MINUTE);

        assertThat(summary.outputTokensPerSecond()).isCloseTo(streamedSpeed, within(1e-6));
        assertThat(summary.outputTokens()).as("its tokens still count").isEqualTo(streamed.outputTokens() + 900);
        assertThat(summary.requests()).isEqualTo(2);
    }

    @Test
    void shouldLeaveLatencyTokensPerSecondAndScoreAbsentWhenEveryRequestFailed() {
        List<SlmRequest> failures = SlmDatasets.requests(SlmDatasets.file("lepton_70b.json")).stream()
                .filter(SlmRequest::failed).toList();
        SlmWindowSummary summary = SlmDatasets.window(failures).summary(MINUTE);
        assertThat(summary.requests()).isEqualTo(130);
        assertThat(summary.errors()).isEqualTo(130);
        assertThat(summary.errorRate()).isEqualTo(1.0);
        assertThat(summary.latencyP50Ms()).isNull();
        assertThat(summary.ttftP95Ms()).isNull();
        assertThat(summary.outputTokensPerSecond()).isNull();
        assertThat(summary.inputTokens()).isZero();
        assertThat(summary.score()).isNull();
    }

    @Test
    void shouldScoreTheWindowFromItsP95RateAndErrors() {
        SlmWindowSummary summary = SlmDatasets.window(SlmDatasets.requests(SlmDatasets.file("perplexity_70b.json")))
                .summary(MINUTE);
        assertThat(summary.score()).isEqualTo(
                SlmScore.score(summary.latencyP95Ms(), summary.requestsPerSecond(), summary.errorRate()));
    }
}
