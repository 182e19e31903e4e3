package io.soma.streams.topologies.forecast;

import java.util.Arrays;

/** Accumulates scored windows of one series: WAPE of the point forecasts and coverage of the intervals. */
public final class ForecastAccuracy {
    private double absoluteErrors;
    private double actuals;
    private long intervals;
    private long covered;

    public void add(double actual, double forecast) {
        absoluteErrors += Math.abs(actual - forecast);
        actuals += actual;
    }

    public void add(double actual, TokenForecaster.Interval interval) {
        add(actual, interval.forecast());
        intervals++;
        if (actual >= interval.lower() && actual <= interval.upper()) {
            covered++;
        }
    }

    public double actualTotal() {
        return actuals;
    }

    /** Σ|actual − forecast| / Σ actual; NaN when nothing happened. */
    public double wape() {
        return actuals == 0 ? Double.NaN : absoluteErrors / actuals;
    }

    public long intervalCount() {
        return intervals;
    }

    public long coveredCount() {
        return covered;
    }

    /** Linear-interpolated quantile of a sample (e.g. 0.5 for the median, 0.9 for p90). */
    public static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return quantileOfSorted(sorted, q);
    }

    static double quantileOfSorted(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(sorted.length - 1, below + 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
