package io.soma.streams.topologies.budget;

/**
 * A projection calibrated on the budget's own past errors ({@link ProjectionCalibrator}): its period-end point and
 * bounds, reached from what is spent now in a straight line (the rest of the period's spend arriving evenly), which
 * is where exhaustion is looked for.
 */
record CalibratedSpend(double spent, double horizonMs, double point, double lowerEnd, double upperEnd)
        implements SpendPath {

    /**
     * {@code raw}'s period-end interval corrected by {@code correction}'s log ratios, no bound below what is spent;
     * the point stays the constant rate's, moved into the interval when outside it.
     */
    static CalibratedSpend of(SpendProjection raw, double spent, double horizonMs,
                              ProjectionCalibrator.Correction correction) {
        double projected = raw.mean(horizonMs);
        double lower = Math.max(spent, projected * Math.exp(correction.lower()));
        double upper = Math.max(lower, projected * Math.exp(correction.upper()));
        return new CalibratedSpend(spent, horizonMs, Math.min(upper, Math.max(lower, projected)), lower, upper);
    }

    @Override
    public double mean(double aheadMs) {
        return along(point, aheadMs);
    }

    @Override
    public double lower(double aheadMs) {
        return along(lowerEnd, aheadMs);
    }

    @Override
    public double upper(double aheadMs) {
        return along(upperEnd, aheadMs);
    }

    @Override
    public boolean calibrated() {
        return true;
    }

    private double along(double end, double aheadMs) {
        return horizonMs <= 0 ? end : spent + (end - spent) * Math.min(1, aheadMs / horizonMs);
    }
}
