package io.soma.streams.topologies.forecast;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * One tenant's usage of one capsule (docs/marketplace.md, token summaries), as the forecast app keeps it: the
 * capsule's closed usage windows of the last {@link #RETAINED} (tokens, requests and their priced cost, every
 * provider/model of a window start added together), and the latest forecast of each provider/model it used.
 *
 * <p>The state is bounded: a window older than {@link #RETAINED} before the newest one is dropped when a newer one
 * is added, and window starts are distinct, so it holds at most {@code RETAINED / window} buckets (1,008 of
 * 10 minutes) whatever the traffic. A model's forecast goes with its last window, and past {@link #MAX_MODELS}
 * models the least recent go: a tenant calling a capsule through ever new model names must not grow the state past
 * one Kafka record. Totals are as of the end of the capsule's newest closed window ({@link #asOf()}).
 */
public final class CapsuleUsage {
    /** The longest span a summary answers; older windows are dropped. */
    public static final Duration RETAINED = Duration.ofDays(7);
    /** The most provider/models whose forecasts are kept: with 256-character names, about 120 KB. */
    public static final int MAX_MODELS = 200;
    private static final int MAGIC = 0x534F4355; // "SOCU"
    private static final int FORMAT_VERSION = 1;

    /** One closed window's usage; several provider/models of the same start are added into one bucket. */
    public record Totals(long promptTokens, long completionTokens, long requests, double costUsd) {
        static final Totals NONE = new Totals(0, 0, 0, 0);

        public long totalTokens() {
            return promptTokens + completionTokens;
        }

        Totals plus(Totals other) {
            return new Totals(promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                    requests + other.requests, costUsd + other.costUsd);
        }
    }

    /** The forecast of one provider/model of the capsule, for the app's horizon. */
    public record ModelForecast(String provider, String model, ForecastResult forecast) {
    }

    private final TreeMap<Long, Totals> byWindowStart;
    private final TreeMap<String, ModelForecast> forecasts;
    private long asOfMs;

    private CapsuleUsage(TreeMap<Long, Totals> byWindowStart, TreeMap<String, ModelForecast> forecasts, long asOfMs) {
        this.byWindowStart = byWindowStart;
        this.forecasts = forecasts;
        this.asOfMs = asOfMs;
    }

    public static CapsuleUsage empty() {
        return new CapsuleUsage(new TreeMap<>(), new TreeMap<>(), Long.MIN_VALUE);
    }

    /** Adds a closed window [{@code startMs}, {@code endMs}) and drops what is then older than {@link #RETAINED}. */
    public void add(long startMs, long endMs, Totals usage) {
        asOfMs = Math.max(asOfMs, endMs);
        long oldestKept = asOfMs - RETAINED.toMillis();
        if (startMs >= oldestKept) {
            byWindowStart.merge(startMs, usage, Totals::plus);
        }
        byWindowStart.headMap(oldestKept).clear();
    }

    /**
     * The latest forecast of {@code provider}/{@code model}, replacing the one before; then the forecasts of models
     * with no window in {@link #RETAINED} go, and the least recent past {@link #MAX_MODELS}.
     */
    public void forecast(String provider, String model, ForecastResult forecast) {
        forecasts.put(provider + '\u0000' + model, new ModelForecast(provider, model, forecast));
        if (asOfMs != Long.MIN_VALUE) {
            Instant oldestKept = Instant.ofEpochMilli(asOfMs).minus(RETAINED);
            forecasts.values().removeIf(f -> f.forecast().generatedAt().isBefore(oldestKept));
        }
        while (forecasts.size() > MAX_MODELS) {
            forecasts.values().stream().min(Comparator.comparing((ModelForecast f) -> f.forecast().generatedAt()))
                    .ifPresent(f -> forecasts.remove(f.provider() + '\u0000' + f.model()));
        }
    }

    /** The end of the newest window added; empty before the first. */
    public OptionalLong asOf() {
        return asOfMs == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(asOfMs);
    }

    /** Usage of the windows that started in the {@code span} (at most {@link #RETAINED}) before {@link #asOf()}. */
    public Totals last(Duration span) {
        if (span.compareTo(RETAINED) > 0) {
            throw new IllegalArgumentException("a capsule's usage is kept for " + RETAINED + ", not " + span);
        }
        return asOfMs == Long.MIN_VALUE ? Totals.NONE
                : byWindowStart.tailMap(asOfMs - span.toMillis()).values().stream().reduce(Totals.NONE, Totals::plus);
    }

    /** The forecasts, by provider then model. */
    public List<ModelForecast> forecasts() {
        return List.copyOf(forecasts.values());
    }

    /** How many windows are held: never more than {@link #RETAINED} over the window length. */
    int windowsHeld() {
        return byWindowStart.size();
    }

    /**
     * Big-endian: int magic "SOCU", byte version, long asOf, int buckets, each (long start, long prompt, long
     * completion, long requests, double cost), int forecasts, each (provider, model, method as UTF, long generatedAt
     * ms, int horizon, double tokens, lower, upper, cost, confidence, recentWape or NaN).
     */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(FORMAT_VERSION);
            out.writeLong(asOfMs);
            out.writeInt(byWindowStart.size());
            for (Map.Entry<Long, Totals> e : byWindowStart.entrySet()) {
                Totals t = e.getValue();
                out.writeLong(e.getKey());
                out.writeLong(t.promptTokens());
                out.writeLong(t.completionTokens());
                out.writeLong(t.requests());
                out.writeDouble(t.costUsd());
            }
            out.writeInt(forecasts.size());
            for (ModelForecast f : forecasts.values()) {
                ForecastResult r = f.forecast();
                out.writeUTF(f.provider());
                out.writeUTF(f.model());
                out.writeUTF(r.method());
                out.writeLong(r.generatedAt().toEpochMilli());
                out.writeInt(r.horizonHours());
                out.writeDouble(r.estimatedTokens());
                out.writeDouble(r.lower());
                out.writeDouble(r.upper());
                out.writeDouble(r.estimatedCostUsd());
                out.writeDouble(r.confidence());
                out.writeDouble(r.recentWape().orElse(Double.NaN));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static CapsuleUsage fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC || in.readByte() != FORMAT_VERSION) {
                throw new IllegalArgumentException("not a capsule usage of version " + FORMAT_VERSION);
            }
            long asOf = in.readLong();
            TreeMap<Long, Totals> buckets = new TreeMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                buckets.put(in.readLong(), new Totals(in.readLong(), in.readLong(), in.readLong(), in.readDouble()));
            }
            CapsuleUsage usage = new CapsuleUsage(buckets, new TreeMap<>(), asOf);
            for (int i = in.readInt(); i > 0; i--) {
                String provider = in.readUTF();
                String model = in.readUTF();
                String method = in.readUTF();
                Instant generatedAt = Instant.ofEpochMilli(in.readLong());
                int horizon = in.readInt();
                double tokens = in.readDouble();
                double lower = in.readDouble();
                double upper = in.readDouble();
                double cost = in.readDouble();
                double confidence = in.readDouble();
                double wape = in.readDouble();
                usage.forecast(provider, model, new ForecastResult(generatedAt, horizon, tokens, lower, upper, cost,
                        confidence, method, Double.isNaN(wape) ? OptionalDouble.empty() : OptionalDouble.of(wape)));
            }
            if (in.available() > 0) {
                throw new IllegalArgumentException("capsule usage has " + in.available() + " bytes too many");
            }
            return usage;
        } catch (EOFException e) {
            throw new IllegalArgumentException("truncated capsule usage", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CapsuleUsage other && asOfMs == other.asOfMs && byWindowStart.equals(other.byWindowStart)
                && forecasts.equals(other.forecasts);
    }

    @Override
    public int hashCode() {
        return byWindowStart.hashCode() * 31 + forecasts.hashCode();
    }
}
