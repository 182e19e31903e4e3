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
        return interpolated(sorted, sorted.length, q);
    }

    /**
     * {@link #quantile} of the first {@code length} of {@code values} at each of {@code qs}, without sorting: the
     * order statistics around every position are selected in one call (exact), reordering {@code values} in place.
     * The forecast tables need two quantiles for each of 168 horizons per update: the selection was most of the CPU
     * of a whole-trace replay (docs/benchmarks.md, "Forecast tables").
     */
    static double[] quantilesInPlace(double[] values, int length, double... qs) {
        int[] ranks = new int[2 * qs.length];
        for (int i = 0; i < qs.length; i++) {
            ranks[2 * i] = below(qs[i], length);
            ranks[2 * i + 1] = above(qs[i], length);
        }
        Selection.select(values, 0, length, ranks);
        double[] quantiles = new double[qs.length];
        for (int i = 0; i < qs.length; i++) {
            quantiles[i] = interpolated(values, length, qs[i]);
        }
        return quantiles;
    }

    /** The k-th smallest of {@code v} (0-based), reordering {@code v} in place. */
    static double kthSmallest(double[] v, int k) {
        Selection.select(v, k);
        return v[k];
    }

    /**
     * The value at {@code q}'s position among the first {@code length} of {@code ordered}, interpolated between the
     * order statistics {@link #below} and {@link #above} it, which must be in their sorted places (a sort or a
     * selection of those two puts them there).
     */
    private static double interpolated(double[] ordered, int length, double q) {
        int below = below(q, length);
        int above = above(q, length);
        return ordered[below] + (q * (length - 1) - below) * (ordered[above] - ordered[below]);
    }

    private static int below(double q, int length) {
        return (int) Math.floor(q * (length - 1));
    }

    private static int above(double q, int length) {
        return Math.min(length - 1, below(q, length) + 1);
    }
}
