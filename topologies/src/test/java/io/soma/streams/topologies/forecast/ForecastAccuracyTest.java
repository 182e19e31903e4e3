package io.soma.streams.topologies.forecast;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ForecastAccuracyTest {
    private static final double[] QUANTILES = {0, 0.1, 0.5, 0.9, 1};

    /**
     * Real window totals: a tenant idle in about half of its windows (ties, the case a selection's partitioning
     * handles worst, beside distinct values) and the busiest tenant (almost no ties).
     */
    private static List<double[]> realWindowTotals() {
        Map<String, ServeGenSeries> trace = ServeGenSeries.read(TokenForecasterTest.servegen(),
                ForecastSettings.DEFAULT_WINDOW);
        ToDoubleFunction<ServeGenSeries> idleShare = s -> (double) Arrays.stream(s.promptTokens())
                .filter(t -> t == 0).count() / s.promptTokens().length;
        ServeGenSeries halfIdle = trace.values().stream()
                .min(Comparator.comparingDouble(s -> Math.abs(idleShare.applyAsDouble(s) - 0.5))).orElseThrow();
        ServeGenSeries busiest = trace.values().stream().min(Comparator.comparingDouble(idleShare)).orElseThrow();
        return Stream.of(halfIdle, busiest).map(s -> {
            double[] totals = new double[s.promptTokens().length];
            for (int w = 0; w < totals.length; w++) {
                totals[w] = s.total(w);
            }
            return totals;
        }).toList();
    }

    @Test
    void shouldSelectTheQuantilesASortWouldGiveOnRealValuesOfEveryLength() {
        for (double[] windows : realWindowTotals()) {
            assertEveryLength(windows);
        }
    }

    private static void assertEveryLength(double[] windows) {
        for (int length = 1; length <= 1_008; length = length < 64 ? length + 1 : length * 2) {
            for (int from = 0; from + length <= windows.length; from += Math.max(1, windows.length / 7)) {
                double[] values = Arrays.copyOfRange(windows, from, from + length);
                // a buffer longer than the values, as the forecast tables pass: what lies beyond is not theirs
                double[] buffer = Arrays.copyOf(values, length + 3);
                Arrays.fill(buffer, length, buffer.length, -Double.MAX_VALUE);

                double[] selected = ForecastAccuracy.quantilesInPlace(buffer, length, QUANTILES);

                for (int i = 0; i < QUANTILES.length; i++) {
                    assertThat(selected[i]).as("q %s of %d values from window %d", QUANTILES[i], length, from)
                            .isEqualTo(ForecastAccuracy.quantile(values, QUANTILES[i]));
                }
                double[] sorted = values.clone();
                Arrays.sort(sorted);
                int k = length / 3;
                assertThat(ForecastAccuracy.kthSmallest(values, k)).isEqualTo(sorted[k]);
            }
        }
    }
}
