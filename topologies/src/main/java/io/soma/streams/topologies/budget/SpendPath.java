package io.soma.streams.topologies.budget;

/** A unit's projected spend {@code aheadMs} from now, and the bounds of its interval. */
interface SpendPath {
    double mean(double aheadMs);

    double lower(double aheadMs);

    double upper(double aheadMs);

    /** Whether the budget's own past errors corrected it ({@link ProjectionCalibrator}). */
    boolean calibrated();
}
