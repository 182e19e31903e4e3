package io.soma.streams.topologies.forecast;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every forecast table (168 horizons: point, interval, cost, method, confidence, recent WAPE) the edge would answer
 * with for real traffic, compared with what it gave when the fingerprint was recorded: a change made for speed must
 * not change a single number. The traffic is the whole ServeGen trace of its five most active tenants (by active
 * windows in days 1–12), one table per window with tokens, as each closed window changes the model; young keys take
 * the interval's fallbacks (model scale, widened single errors) and older ones the rolling error sums. A deliberate
 * change of the forecasts records a new fingerprint, and says why in its commit.
 */
class ForecastTableFingerprintTest {
    /** Recorded at commit 93d5abe (before the selection speed-up of issue 19 that it guards). */
    private static final String RECORDED = "474af433cc477b7c2454d6a88abec042b7fc61ad2a0339e7b1f90ff8c5e7e958";

    @Test
    void shouldForecastRealTrafficAsWhenTheFingerprintWasRecorded() throws Exception {
        Duration window = ForecastSettings.DEFAULT_WINDOW;
        Map<String, ServeGenSeries> trace = ServeGenSeries.read(TokenForecasterTest.servegen(), window);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        int tables = 0;
        for (String tenant : ServeGenSeries.mostActive(trace, 5, 12 * 144)) {
            ServeGenSeries series = trace.get(tenant);
            TokenForecaster forecaster = TokenForecaster.create(ForecastSettings.of(window));
            for (int w = 0; w < series.promptTokens().length; w++) {
                if (series.total(w) == 0) {
                    continue;
                }
                forecaster.observe(w * window.toMillis(), series.promptTokens()[w], series.completionTokens()[w]);
                digest.update(bytes(ForecastTable.of(forecaster, PriceTable.defaults(), "openai", "gpt-4o")));
                tables++;
            }
        }

        assertThat(tables).isEqualTo(10078);
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(RECORDED);
    }

    /**
     * Every number of the table, big-endian, in the layout it was stored in when the fingerprint was recorded: int
     * magic "SOFT", byte version 1, long generatedAt ms, double confidence, double recentWape (NaN when absent), the
     * method as a short length and UTF-8, then per horizon double estimatedTokens, lower, upper, estimatedCostUsd.
     */
    private static byte[] bytes(ForecastTable table) {
        ForecastResult first = table.forHours(1);
        byte[] method = first.method().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + 1 + 8 + 8 + 8 + 2 + method.length + ForecastTable.MAX_HOURS * 4 * Double.BYTES);
        out.putInt(0x534F4654).put((byte) 1).putLong(first.generatedAt().toEpochMilli()).putDouble(first.confidence())
                .putDouble(first.recentWape().orElse(Double.NaN)).putShort((short) method.length).put(method);
        for (ForecastResult r : table.byHours()) {
            out.putDouble(r.estimatedTokens()).putDouble(r.lower()).putDouble(r.upper()).putDouble(r.estimatedCostUsd());
        }
        return out.array();
    }
}
