package io.soma.streams.topologies.forecast;

/** Quantiles of the standard normal, for intervals drawn before enough errors have been measured. */
public final class StandardNormal {
    private StandardNormal() {
    }

    /** Inverse of {@link #cdf} by bisection; plenty fast for the rare calls made on young states. */
    public static double quantile(double p) {
        double low = -10;
        double high = 10;
        for (int i = 0; i < 60; i++) {
            double mid = (low + high) / 2;
            if (cdf(mid) < p) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return (low + high) / 2;
    }

    /** Abramowitz and Stegun 7.1.26 erf approximation (absolute error below 1.5e-7). */
    static double cdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * z);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double erf = 1 - poly * Math.exp(-z * z);
        return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
    }
}
