package io.soma.streams.bench;

import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastSettings;
import io.soma.streams.topologies.forecast.ForecastTable;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.ServeGenSeries;
import io.soma.streams.topologies.forecast.TokenForecaster;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A key's table of 168 horizons ({@link ForecastTable#of}), which the edge builds from a stored model once per key
 * and closed window (until commit 58fd961 the forecast app built one for every key at every window), from real
 * forecaster states. The states are each ServeGen m-large tenant's forecaster
 * after its last window with tokens of every trace day from day 8 to 14 on which it had any (628 states). Most keys
 * then hold a week of scored errors, so most horizons' intervals come from the rolling sums of those errors, the
 * table's main cost; tenants that started late hold fewer.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ForecastTableBenchmark {
    /** Trace day 8, counted from 0. */
    private static final int FIRST_DAY_INDEX = 7;

    @State(Scope.Thread)
    public static class Forecasters {
        List<TokenForecaster> states;
        PriceTable prices;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            Path dataDir = Path.of(System.getProperty("soma.data.dir", "../shared/data"));
            Duration window = ForecastSettings.DEFAULT_WINDOW;
            ForecastSettings settings = ForecastSettings.of(window);
            int windowsPerDay = settings.windowsPerDay();
            states = new ArrayList<>();
            for (ServeGenSeries series : ServeGenSeries.read(
                    dataDir.resolve("servegen-language").resolve("servegen_m-large.csv"), window).values()) {
                TokenForecaster forecaster = TokenForecaster.create(settings);
                for (int day = 0; day < ServeGenSeries.DAYS; day++) {
                    boolean observed = false;
                    for (int w = day * windowsPerDay; w < (day + 1) * windowsPerDay; w++) {
                        if (series.total(w) > 0) {
                            observed |= forecaster.observe(w * window.toMillis(), series.promptTokens()[w],
                                    series.completionTokens()[w]);
                        }
                    }
                    if (day >= FIRST_DAY_INDEX && observed) {
                        // a copy: the forecaster goes on with the next day
                        states.add(TokenForecaster.fromBytes(forecaster.toBytes()));
                    }
                }
            }
            prices = PriceTable.defaults();
        }

        TokenForecaster next() {
            next = (next + 1) % states.size();
            return states.get(next);
        }
    }

    @Benchmark
    public ForecastTable table(Forecasters f) {
        return ForecastTable.of(f.next(), f.prices, ForecastKey.UNKNOWN, ForecastKey.UNKNOWN);
    }
}
