package io.soma.streams.topologies.slm;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.encoding.Input;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import io.soma.streams.topologies.runtime.EventMeasures;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;

import static com.datadoghq.sketch.ddsketch.encoding.VarEncodingHelper.decodeUnsignedVarLong;
import static com.datadoghq.sketch.ddsketch.encoding.VarEncodingHelper.encodeUnsignedVarLong;

/**
 * The mergeable state of one window of one model@provider: counts, token sums and DDSketches of end-to-end
 * latency and TTFT (milliseconds). Merging two aggregates gives exactly the aggregate of all their requests
 * (integer sums; sketch bins add), so windows of several instances, or the 1-minute windows of a 5-minute
 * view, combine without loss.
 *
 * <p>Only successful requests feed latency, TTFT, tokens and tokens/s; a failed request counts in
 * {@link #requests()} and {@link #errors()} only (in the LLMPerf data its latencies are placeholders or a
 * truncated answer).
 *
 * <p>Quantiles: a DDSketch with relative accuracy {@value #RELATIVE_ACCURACY} on a logarithmic mapping.
 * For q in [0, 1] it returns a value within 0.5 % of the lower rank-based quantile
 * {@code x[floor(q · (n − 1))]} of the sorted samples {@code x[0..n−1]}. Its store keeps at most
 * {@value #MAX_BINS} bins, collapsing the lowest ones first, which only touches values more than
 * 10^8 times smaller than the largest: the tail stays exact to the guarantee.
 */
public final class SlmWindowAggregate {
    public static final double RELATIVE_ACCURACY = 0.005;
    static final int MAX_BINS = 2048;
    /** Version 1: see {@link #toBytes()}. */
    private static final byte FORMAT_V1 = 1;
    private static final double NANOS_PER_MS = 1e6;

    private long requests;
    private long errors;
    private long inputTokens;
    private long outputTokens;
    /** Output tokens of the requests that have a generation time, the numerator of tokens/s. */
    private long generatedTokens;
    /** Σ (end-to-end − TTFT), in whole nanoseconds so that sums are exact and merge order does not matter. */
    private long generationNanos;
    private final DDSketch endToEndLatencyMs;
    private final DDSketch timeToFirstTokenMs;

    public SlmWindowAggregate() {
        this(newSketch(), newSketch());
    }

    private SlmWindowAggregate(DDSketch endToEndLatencyMs, DDSketch timeToFirstTokenMs) {
        this.endToEndLatencyMs = endToEndLatencyMs;
        this.timeToFirstTokenMs = timeToFirstTokenMs;
    }

    private static DDSketch newSketch() {
        return DDSketches.logarithmicCollapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
    }

    public SlmWindowAggregate add(SlmRequest request) {
        requests++;
        if (request.failed()) {
            errors++;
            return this;
        }
        if (request.inputTokens() != null) {
            inputTokens += request.inputTokens();
        }
        if (request.outputTokens() != null) {
            outputTokens += request.outputTokens();
        }
        if (request.endToEndLatencyMs() != null) {
            endToEndLatencyMs.accept(request.endToEndLatencyMs());
        }
        if (request.timeToFirstTokenMs() != null) {
            timeToFirstTokenMs.accept(request.timeToFirstTokenMs());
        }
        // generation speed only from requests whose generation was timed: within the rounding of the two durations
        // (EventMeasures.ROUNDING_MS) it was not, as for an answer sent whole (its first token is its last), and its
        // tokens over about no time read as millions of tokens a second
        if (request.endToEndLatencyMs() != null && request.timeToFirstTokenMs() != null
                && request.outputTokens() != null
                && request.endToEndLatencyMs() - request.timeToFirstTokenMs() > EventMeasures.ROUNDING_MS) {
            generatedTokens += request.outputTokens();
            generationNanos += Math.round((request.endToEndLatencyMs() - request.timeToFirstTokenMs()) * NANOS_PER_MS);
        }
        return this;
    }

    /** Adds {@code other}'s requests to this aggregate; {@code other} is left as it was. */
    public SlmWindowAggregate merge(SlmWindowAggregate other) {
        requests += other.requests;
        errors += other.errors;
        inputTokens += other.inputTokens;
        outputTokens += other.outputTokens;
        generatedTokens += other.generatedTokens;
        generationNanos += other.generationNanos;
        endToEndLatencyMs.mergeWith(other.endToEndLatencyMs);
        timeToFirstTokenMs.mergeWith(other.timeToFirstTokenMs);
        return this;
    }

    public long requests() {
        return requests;
    }

    public long errors() {
        return errors;
    }

    /** End-to-end latency at {@code quantile} in ms, {@code null} without samples. */
    public Double endToEndLatencyMs(double quantile) {
        return quantile(endToEndLatencyMs, quantile);
    }

    /** Time to first token at {@code quantile} in ms, {@code null} without samples. */
    public Double timeToFirstTokenMs(double quantile) {
        return quantile(timeToFirstTokenMs, quantile);
    }

    private static Double quantile(DDSketch sketch, double quantile) {
        return sketch.isEmpty() ? null : sketch.getValueAtQuantile(quantile);
    }

    /** The end-to-end latency sketch (ms) in the library's own encoding, for {@code SlmMetricsWindow.latency_sketch}. */
    public byte[] endToEndLatencySketch() {
        return encode(endToEndLatencyMs);
    }

    /** The TTFT sketch (ms) in the library's own encoding, for {@code SlmMetricsWindow.ttft_sketch}. */
    public byte[] timeToFirstTokenSketch() {
        return encode(timeToFirstTokenMs);
    }

    /** The window's metrics; {@code windowLength} turns the request count into requests per second. */
    public SlmWindowSummary summary(Duration windowLength) {
        if (windowLength.isNegative() || windowLength.isZero()) {
            throw new IllegalArgumentException("a window lasts a positive time, not " + windowLength);
        }
        double errorRate = requests == 0 ? 0 : (double) errors / requests;
        double requestsPerSecond = requests / (windowLength.toNanos() / 1e9);
        Double p95 = endToEndLatencyMs(0.95);
        return new SlmWindowSummary(requests, errors, errorRate, inputTokens, outputTokens,
                endToEndLatencyMs(0.50), p95, endToEndLatencyMs(0.99),
                timeToFirstTokenMs(0.50), timeToFirstTokenMs(0.95),
                generationNanos > 0 ? generatedTokens / (generationNanos / 1e9) : null,
                requestsPerSecond,
                SlmScore.score(p95, requestsPerSecond, errorRate));
    }

    /**
     * Store format, version 1: byte {@code 1}; unsigned LEB128 varints of requests, errors, input tokens,
     * output tokens, generated tokens and generation nanoseconds; then the end-to-end and the TTFT sketch, each
     * as a varint length followed by the DDSketch library encoding ({@link DDSketch#encode}, index mapping
     * included, so the bytes are self-describing).
     */
    public byte[] toBytes() {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
        try {
            out.writeByte(FORMAT_V1);
            for (long count : new long[]{requests, errors, inputTokens, outputTokens, generatedTokens, generationNanos}) {
                encodeUnsignedVarLong(out, count);
            }
            for (DDSketch sketch : new DDSketch[]{endToEndLatencyMs, timeToFirstTokenMs}) {
                byte[] encoded = encode(sketch);
                encodeUnsignedVarLong(out, encoded.length);
                for (byte b : encoded) {
                    out.writeByte(b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: the output is an in-memory array", e);
        }
        return out.trimmedCopy();
    }

    public static SlmWindowAggregate fromBytes(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        Input in = over(buffer);
        try {
            byte version = in.readByte();
            if (version != FORMAT_V1) {
                throw new IllegalArgumentException("unknown SLM window aggregate format version " + version);
            }
            long[] counts = new long[6];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = decodeUnsignedVarLong(in);
            }
            SlmWindowAggregate aggregate = new SlmWindowAggregate(decodeSketch(buffer), decodeSketch(buffer));
            if (buffer.hasRemaining()) {
                throw new IllegalArgumentException("SLM window aggregate has " + buffer.remaining() + " trailing bytes");
            }
            aggregate.requests = counts[0];
            aggregate.errors = counts[1];
            aggregate.inputTokens = counts[2];
            aggregate.outputTokens = counts[3];
            aggregate.generatedTokens = counts[4];
            aggregate.generationNanos = counts[5];
            return aggregate;
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("malformed SLM window aggregate", e);
        }
    }

    private static byte[] encode(DDSketch sketch) {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withDefaultInitialCapacity();
        try {
            sketch.encode(out, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: the output is an in-memory array", e);
        }
        return out.trimmedCopy();
    }

    /** Reads a varint length and that many bytes of DDSketch encoding, advancing {@code buffer} past them. */
    private static DDSketch decodeSketch(ByteBuffer buffer) throws IOException {
        int length = Math.toIntExact(decodeUnsignedVarLong(over(buffer)));
        DDSketch sketch = DDSketch.decode(ByteArrayInput.wrap(buffer.array(), buffer.position(), length),
                () -> new CollapsingLowestDenseStore(MAX_BINS));
        buffer.position(buffer.position() + length);
        return sketch;
    }

    /** The library's varint reader over a buffer whose position tells how far it read. */
    private static Input over(ByteBuffer buffer) {
        return new Input() {
            @Override
            public boolean hasRemaining() {
                return buffer.hasRemaining();
            }

            @Override
            public byte readByte() throws IOException {
                if (!buffer.hasRemaining()) {
                    throw new EOFException();
                }
                return buffer.get();
            }
        };
    }
}
