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
     * {@link #quantile} without sorting: the two order statistics around the position are selected in expected
     * linear time, reordering {@code values} in place (the forecast tables need hundreds of quantiles per update).
     */
    static double quantileInPlace(double[] values, double q) {
        double position = q * (values.length - 1);
        int below = (int) Math.floor(position);
        double low = kthSmallest(values, below);
        if (below + 1 >= values.length) {
            return low;
        }
        // after the selection everything right of {@code below} is at least its value
        double next = Double.POSITIVE_INFINITY;
        for (int i = below + 1; i < values.length; i++) {
            next = Math.min(next, values[i]);
        }
        return low + (position - below) * (next - low);
    }

    /** The k-th smallest of {@code v} (0-based), left at {@code v[k]} with nothing larger before it. */
    static double kthSmallest(double[] v, int k) {
        int from = 0;
        int to = v.length - 1;
        while (from < to) {
            double pivot = v[from + (to - from) / 2];
            // three-way partition: [from, lt) < pivot, [lt, gt] == pivot, (gt, to] > pivot; runs of equal
            // values (an idle key's zero errors) end the search at once
            int lt = from;
            int gt = to;
            int i = from;
            while (i <= gt) {
                if (v[i] < pivot) {
                    swap(v, lt++, i++);
                } else if (v[i] > pivot) {
                    swap(v, i, gt--);
                } else {
                    i++;
                }
            }
            if (k < lt) {
                to = lt - 1;
            } else if (k > gt) {
                from = gt + 1;
            } else {
                return v[k];
            }
        }
        return v[k];
    }

    private static void swap(double[] v, int a, int b) {
        double t = v[a];
        v[a] = v[b];
        v[b] = t;
    }

    static double quantileOfSorted(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(sorted.length - 1, below + 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
