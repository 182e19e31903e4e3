package io.soma.streams.topologies.forecast;

import java.util.ArrayList;
import java.util.List;

/**
 * One key's forecasts for every whole horizon from 1 to {@value #MAX_HOURS} hours, as its model makes them after its
 * last closed window: what the edge answers. The edge builds it from the stored model once per key and window (168
 * intervals, about half a millisecond; docs/benchmarks.md, "Forecast tables") and keeps it until the next window.
 * {@code byHours.get(h - 1)} is the forecast of the next {@code h} hours.
 */
public record ForecastTable(List<ForecastResult> byHours) {
    /** The longest horizon the edge answers: a week. */
    public static final int MAX_HOURS = 168;

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
}
