package io.soma.streams.topologies.budget;

import io.soma.streams.topologies.forecast.StandardNormal;

import java.util.OptionalDouble;
import java.util.function.DoubleUnaryOperator;

/**
 * One unit's spend (tokens or USD) carried forward at the rate the period has spent so far, as a compound Poisson
 * process: events arrive at a constant rate and their sizes are drawn from those already seen. Over {@code
 * observedMs} the period settled {@code spent} in events whose squares sum to {@code squares}; the spend of the next
 * {@code h} ms then has mean {@code spent · u} and, counting both the process's own noise and the error of the rate
 * estimated from {@code observedMs}, variance {@code squares · u · (1 + u)} with {@code u = h / observedMs}. The
 * interval is that mean ± the standard normal quantile of the coverage times the deviation, its lower bound never
 * below what is already spent.
 */
final class SpendProjection implements SpendPath {
    static final double COVERAGE = 0.8;
    private static final double Z = StandardNormal.quantile(0.5 + COVERAGE / 2);
    /** The horizon is scanned in this many steps for the first crossing, then bisected. */
    private static final int SCAN_STEPS = 256;
    private static final int BISECTIONS = 40;

    private final double spent;
    private final double squares;
    private final double observedMs;

    SpendProjection(double spent, double squares, double observedMs) {
        if (observedMs <= 0) {
            throw new IllegalArgumentException("a rate needs an observed time > 0, got " + observedMs);
        }
        this.spent = spent;
        this.squares = squares;
        this.observedMs = observedMs;
    }

    /** Projected total spend {@code aheadMs} from now. */
    @Override
    public double mean(double aheadMs) {
        return spent * (1 + aheadMs / observedMs);
    }

    @Override
    public double lower(double aheadMs) {
        return Math.max(spent, mean(aheadMs) - spread(aheadMs));
    }

    @Override
    public double upper(double aheadMs) {
        return mean(aheadMs) + spread(aheadMs);
    }

    /** The normal approximation is nominal: nothing has checked its coverage for this budget. */
    @Override
    public boolean calibrated() {
        return false;
    }

    private double spread(double aheadMs) {
        double u = aheadMs / observedMs;
        return Z * Math.sqrt(squares * u * (1 + u));
    }

    /**
     * How many ms from now {@code bound} (one of {@link #mean}, {@link #lower}, {@link #upper}) first reaches
     * {@code level}, if within {@code horizonMs}. The bounds need not be monotone (the lower bound can dip before it
     * rises), so the horizon is scanned before the crossing is bisected.
     */
    static OptionalDouble firstReach(DoubleUnaryOperator bound, double level, double horizonMs) {
        if (bound.applyAsDouble(0) >= level) {
            return OptionalDouble.of(0);
        }
        double before = 0;
        for (int i = 1; i <= SCAN_STEPS; i++) {
            double at = horizonMs * i / SCAN_STEPS;
            if (bound.applyAsDouble(at) >= level) {
                double low = before;
                double high = at;
                for (int b = 0; b < BISECTIONS; b++) {
                    double mid = (low + high) / 2;
                    if (bound.applyAsDouble(mid) >= level) {
                        high = mid;
                    } else {
                        low = mid;
                    }
                }
                return OptionalDouble.of(high);
            }
            before = at;
        }
        return OptionalDouble.empty();
    }
}
