package io.soma.streams.topologies.budget;

import io.soma.streams.avro.ProjectionCalibration;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Calibrates one unit's constant-rate projection ({@link SpendProjection}) on the budget's own past errors: split
 * conformal with log-ratio scores and an adaptive level, as the forecaster's 24-hour total does.
 *
 * <p>A period is cut in {@value #CHECKPOINTS} equal parts; the ledger records the spend at each checkpoint it passes.
 * When the period ends, each checkpoint's projection (its spend carried at its constant rate to the end) is scored
 * by log(total / projection), and the scores of the last {@value #PERIODS} whole periods are kept. A projection made
 * later takes the scores of the nearest checkpoint and of {@value #NEIGHBOURS} on each side (all checkpoints when
 * those hold fewer than {@value #MIN_SCORES}: a key seldom active early in the period); its interval is the
 * projection times e to the α/2 and 1 − α/2 conformal quantiles of those scores. Signed scores, because the constant
 * rate is biased by the time of period (a daily cycle), and log scores, because spend moves by factors. The scores
 * of one period are dependent, so the conformal rank counts periods, not scores. α adapts to the budget's own
 * misses (Gibbs and Candès 2021), each checkpoint scored when its period ends.
 */
final class ProjectionCalibrator {
    /** Parts a period is cut in: checkpoints 1 to {@code CHECKPOINTS − 1} are scored. */
    static final int CHECKPOINTS = 24;
    /** Whole periods of scores kept: two weeks of a day budget, so state stays bounded and old shapes fade. */
    static final int PERIODS = 14;
    /** Checkpoints pooled on each side of the nearest one. */
    static final int NEIGHBOURS = 2;
    /** Fewer scores say too little about a 10 % tail: the projection stays the normal approximation. */
    static final int MIN_SCORES = 10;
    /** Step of the adaptive miscoverage level per scored checkpoint (chosen on ServeGen days 9–12). */
    static final double ADAPTATION_RATE = 0.02;
    private static final double NOMINAL_MISCOVERAGE = 1 - SpendProjection.COVERAGE;

    private ProjectionCalibrator() {
    }

    /** The interval's bounds as log ratios to the constant-rate projection. */
    record Correction(double lower, double upper) {
    }

    static ProjectionCalibration empty() {
        return ProjectionCalibration.newBuilder().setCheckpoints(new ArrayList<>()).setScores(new ArrayList<>())
                .setMiscoverage(NOMINAL_MISCOVERAGE).build();
    }

    /** Records {@code spent} at each checkpoint passed by {@code fraction} of the period not yet recorded. */
    static void pass(ProjectionCalibration c, double fraction, double spent) {
        int passed = (int) Math.min(CHECKPOINTS - 1, Math.floor(fraction * CHECKPOINTS));
        while (c.getCheckpoints().size() < passed) {
            c.getCheckpoints().add(spent);
        }
    }

    /**
     * Scores the period that ended with {@code total} and starts the next one's checkpoints. A period observed only
     * from part-way (the budget was defined in it) is not scored: its projections were not made from its start.
     */
    static void close(ProjectionCalibration c, double total, boolean wholePeriod) {
        pass(c, 1, total);
        if (wholePeriod) {
            List<Float> scores = new ArrayList<>(CHECKPOINTS - 1);
            for (int j = 1; j < CHECKPOINTS; j++) {
                double spent = c.getCheckpoints().get(j - 1);
                double projected = spent * CHECKPOINTS / j;
                // nothing spent yet: no projection was made, so there is nothing to score
                scores.add(spent > 0 ? (float) Math.log(total / projected) : Float.NaN);
                Optional<Correction> correction = correction(c, j);
                if (spent > 0 && correction.isPresent()) {
                    double lower = Math.max(spent, projected * Math.exp(correction.get().lower()));
                    double upper = Math.max(lower, projected * Math.exp(correction.get().upper()));
                    boolean missed = total < lower || total > upper;
                    // capped at 1 (the interval is the point), not floored: below 0 it stays at its widest until the
                    // misses are made up for, as adaptive conformal inference prescribes
                    c.setMiscoverage(Math.min(1, c.getMiscoverage()
                            + ADAPTATION_RATE * (NOMINAL_MISCOVERAGE - (missed ? 1 : 0))));
                }
            }
            c.getScores().addAll(scores);
            int excess = c.getScores().size() - PERIODS * (CHECKPOINTS - 1);
            if (excess > 0) {
                c.getScores().subList(0, excess).clear();
            }
        }
        c.getCheckpoints().clear();
    }

    /** The correction at {@code fraction} of the period, once enough past scores are near it. */
    static Optional<Correction> at(ProjectionCalibration c, double fraction) {
        int nearest = (int) Math.max(1, Math.min(CHECKPOINTS - 1, Math.round(fraction * CHECKPOINTS)));
        return correction(c, nearest);
    }

    private static Optional<Correction> correction(ProjectionCalibration c, int checkpoint) {
        double[] sorted = scoresWithin(c, checkpoint, NEIGHBOURS);
        if (sorted.length < MIN_SCORES) {
            sorted = scoresWithin(c, checkpoint, CHECKPOINTS);
        }
        int n = sorted.length;
        if (n < MIN_SCORES) {
            return Optional.empty();
        }
        // conformal ranks over m exchangeable periods, as quantile levels of the pooled scores
        int periods = c.getScores().size() / (CHECKPOINTS - 1);
        double alpha = c.getMiscoverage();
        double lowerLevel = Math.floor((periods + 1) * alpha / 2) / periods;
        double upperLevel = Math.ceil((periods + 1) * (1 - alpha / 2)) / periods;
        return Optional.of(new Correction(sorted[rank(Math.floor(n * lowerLevel), n) - 1],
                sorted[rank(Math.ceil(n * upperLevel), n) - 1]));
    }

    /** A rank past either end is the end: the widest interval the scores can give. */
    private static int rank(double rank, int n) {
        return (int) Math.max(1, Math.min(n, rank));
    }

    /** The scores of the checkpoints within {@code distance} of {@code checkpoint}, sorted. */
    private static double[] scoresWithin(ProjectionCalibration c, int checkpoint, int distance) {
        List<Float> all = c.getScores();
        double[] near = new double[all.size()];
        int n = 0;
        for (int i = 0; i < all.size(); i++) {
            int j = i % (CHECKPOINTS - 1) + 1;
            float score = all.get(i);
            if (Math.abs(j - checkpoint) <= distance && !Float.isNaN(score)) {
                near[n++] = score;
            }
        }
        double[] sorted = Arrays.copyOf(near, n);
        Arrays.sort(sorted);
        return sorted;
    }
}
