package io.soma.streams.topologies.forecast;

import org.apache.commons.numbers.arrays.Selection;

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

    public double absoluteErrors() {
        return absoluteErrors;
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

    /**
     * {@link #quantile} of the first {@code length} of {@code values} at each of {@code qs}, without sorting: the
     * order statistics around every position are selected in one call (exact), reordering {@code values} in place.
     * The forecast tables need two quantiles for each of 168 horizons per update: the selection was most of the CPU
     * of a whole-trace replay (docs/benchmarks.md, "Forecast tables").
     */
    static double[] quantilesInPlace(double[] values, int length, double... qs) {
        int last = length - 1;
        int[] ranks = new int[2 * qs.length];
        for (int i = 0; i < qs.length; i++) {
            int below = (int) Math.floor(qs[i] * last);
            ranks[2 * i] = below;
            ranks[2 * i + 1] = Math.min(last, below + 1);
        }
        Selection.select(values, 0, length, ranks.clone());
        double[] quantiles = new double[qs.length];
        for (int i = 0; i < qs.length; i++) {
            double position = qs[i] * last;
            double low = values[ranks[2 * i]];
            quantiles[i] = low + (position - ranks[2 * i]) * (values[ranks[2 * i + 1]] - low);
        }
        return quantiles;
    }

    /** The k-th smallest of {@code v} (0-based), reordering {@code v} in place. */
    static double kthSmallest(double[] v, int k) {
        Selection.select(v, k);
        return v[k];
    }

    static double quantileOfSorted(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(sorted.length - 1, below + 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
