package io.soma.streams.topologies.slm;

import io.soma.streams.avro.SlmMetricsWindow;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

/** A window of the SLM stores as the {@code SlmMetricsWindow} record that {@code slm.metrics} and the API show. */
public final class SlmWindows {
    private SlmWindows() {
    }

    /** The two halves of a {@code model@provider} key, split at the last {@code @} (model names may hold one). */
    public record ModelProvider(String model, String provider) {
        public static ModelProvider parse(String key) {
            int at = key.lastIndexOf('@');
            if (at <= 0 || at == key.length() - 1) {
                throw new IllegalArgumentException("not a model@provider key: " + key);
            }
            return new ModelProvider(key.substring(0, at), key.substring(at + 1));
        }
    }

    static SlmWindowSummary summary(Windowed<String> window, SlmWindowAggregate aggregate) {
        return aggregate.summary(Duration.between(window.window().startTime(), window.window().endTime()));
    }

    static KeyValue<String, SlmMetricsWindow> record(Windowed<String> window, SlmWindowAggregate aggregate) {
        return KeyValue.pair(window.key(),
                toAvro(window.key(), window.window().startTime(), window.window().endTime(), aggregate));
    }

    /**
     * The window's metrics with both sketches. {@code output_tokens_per_second} is 0 when no successful request
     * of the window had a generation time (the field is not nullable).
     */
    public static SlmMetricsWindow toAvro(String key, Instant start, Instant end, SlmWindowAggregate aggregate) {
        ModelProvider subject = ModelProvider.parse(key);
        SlmWindowSummary s = aggregate.summary(Duration.between(start, end));
        return SlmMetricsWindow.newBuilder()
                .setModel(subject.model())
                .setProvider(subject.provider())
                .setWindowStart(start)
                .setWindowEnd(end)
                .setRequests(s.requests())
                .setErrors(s.errors())
                .setErrorRate(s.errorRate())
                .setLatencyP50Ms(s.latencyP50Ms())
                .setLatencyP95Ms(s.latencyP95Ms())
                .setLatencyP99Ms(s.latencyP99Ms())
                .setTtftP50Ms(s.ttftP50Ms())
                .setTtftP95Ms(s.ttftP95Ms())
                .setOutputTokensPerSecond(s.outputTokensPerSecond() == null ? 0 : s.outputTokensPerSecond())
                .setInputTokens(s.inputTokens())
                .setOutputTokens(s.outputTokens())
                .setScore(s.score())
                .setLatencySketch(ByteBuffer.wrap(aggregate.endToEndLatencySketch()))
                .setTtftSketch(ByteBuffer.wrap(aggregate.timeToFirstTokenSketch()))
                .build();
    }
}
