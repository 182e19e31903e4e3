package io.soma.streams.topologies.policy.evaluation;

/**
 * The literal occurrences and kept matches one evaluation may go through: the automata's hits (each literal rule,
 * set of regex literals or detector trigger a found literal belongs to) and every match a redact regex or detector
 * rule keeps. Without it, a pack of rules sharing
 * one short literal made a long text cost rules × characters in time and memory. Counting, not timing, keeps a
 * decision the same on replay. Not thread-safe (one evaluation, one thread).
 */
final class MatchBudget {
    /** Thrown once the budget is spent; without a stack trace, as it is an outcome, not a fault. */
    static final class Spent extends RuntimeException {
        private Spent() {
            super("match budget spent", null, false, false);
        }
    }

    private long left;

    MatchBudget(long matches) {
        this.left = matches;
    }

    /** @throws Spent when fewer than {@code count} are left */
    void spend(int count) {
        left -= count;
        if (left < 0) {
            throw new Spent();
        }
    }
}
