package io.soma.streams.topologies.forecast;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * One key's forecasts for every whole horizon from 1 to {@value #MAX_HOURS} hours, computed by the forecast app
 * when the key's last window closed: what the edge answers, so it reads them and never recomputes a model (the
 * model's state is about three times larger, and the edge would repeat the app's work at every request).
 * {@code byHours.get(h - 1)} is the forecast of the next {@code h} hours.
 */
public record ForecastTable(List<ForecastResult> byHours) {
    /** The longest horizon the edge answers: a week. */
    public static final int MAX_HOURS = 168;
    private static final int MAGIC = 0x534F4654; // "SOFT"
    private static final int FORMAT_VERSION = 1;

    public ForecastTable {
        if (byHours.size() != MAX_HOURS) {
            throw new IllegalArgumentException("a forecast table holds " + MAX_HOURS + " horizons, got " + byHours.size());
        }
        byHours = List.copyOf(byHours);
    }

    public static ForecastTable of(TokenForecaster forecaster, PriceTable prices, String provider, String model) {
        int[] windows = new int[MAX_HOURS];
        for (int hours = 1; hours <= MAX_HOURS; hours++) {
            windows[hours - 1] = ForecastResult.windows(forecaster, hours);
        }
        TokenForecaster.Interval[] totals = forecaster.forecastTotals(windows);
        ForecastResult.Common common = ForecastResult.Common.of(forecaster, prices, provider, model);
        List<ForecastResult> byHours = new ArrayList<>(MAX_HOURS);
        for (int hours = 1; hours <= MAX_HOURS; hours++) {
            byHours.add(common.result(hours, totals[hours - 1]));
        }
        return new ForecastTable(byHours);
    }

    /** The forecast of the next {@code hours} hours, 1 to {@value #MAX_HOURS}. */
    public ForecastResult forHours(int hours) {
        return byHours.get(hours - 1);
    }

    /**
     * Big-endian: int magic "SOFT", byte version, long generatedAt ms, double confidence, double recentWape (NaN
     * when absent), the method as a short length and UTF-8, then per horizon: double estimatedTokens, lower,
     * upper, estimatedCostUsd. The horizon-independent fields are those of every horizon.
     */
    public byte[] toBytes() {
        ForecastResult first = byHours.get(0);
        byte[] method = first.method().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + 1 + 8 + 8 + 8 + 2 + method.length + MAX_HOURS * 4 * Double.BYTES);
        out.putInt(MAGIC);
        out.put((byte) FORMAT_VERSION);
        out.putLong(first.generatedAt().toEpochMilli());
        out.putDouble(first.confidence());
        out.putDouble(first.recentWape().orElse(Double.NaN));
        out.putShort((short) method.length);
        out.put(method);
        for (ForecastResult r : byHours) {
            out.putDouble(r.estimatedTokens());
            out.putDouble(r.lower());
            out.putDouble(r.upper());
            out.putDouble(r.estimatedCostUsd());
        }
        return out.array();
    }

    public static ForecastTable fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.getInt() != MAGIC || in.get() != FORMAT_VERSION) {
                throw new IllegalArgumentException("not a forecast table of version " + FORMAT_VERSION);
            }
            Instant generatedAt = Instant.ofEpochMilli(in.getLong());
            double confidence = in.getDouble();
            double wape = in.getDouble();
            OptionalDouble recentWape = Double.isNaN(wape) ? OptionalDouble.empty() : OptionalDouble.of(wape);
            byte[] method = new byte[in.getShort()];
            in.get(method);
            String methodName = new String(method, StandardCharsets.UTF_8);
            List<ForecastResult> byHours = new ArrayList<>(MAX_HOURS);
            for (int hours = 1; hours <= MAX_HOURS; hours++) {
                double tokens = in.getDouble();
                double lower = in.getDouble();
                double upper = in.getDouble();
                double cost = in.getDouble();
                byHours.add(new ForecastResult(generatedAt, hours, tokens, lower, upper, cost, confidence, methodName,
                        recentWape));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("forecast table has " + in.remaining() + " bytes too many");
            }
            return new ForecastTable(byHours);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated forecast table", e);
        }
    }
}
