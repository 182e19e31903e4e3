package io.soma.streams.topologies.policy.evaluation;

/**
 * What evaluating one event may cost, whatever the number of rules. Past any limit the decision is
 * {@code review} (fail closed) with a reason, never an error, so one prompt cannot stall the policy stream.
 *
 * @param maxTextChars longest text (in UTF-16 chars) that is evaluated; a longer one is not evaluated at all and is
 *                     decided {@code review}, reason {@link Evaluation#TEXT_TOO_LARGE}
 * @param regexReads   character reads all regex rules of one event share (the literal rules' automaton scan reads
 *                     each char once; what it finds counts against {@code matches}); once spent, the rules not
 *                     finished are named and the decision is {@code review}, reason
 *                     {@link Evaluation#BUDGET_EXCEEDED} ({@code deny} if a deny rule already matched). The detector
 *                     rules' candidate regexes read against a budget of their own of the same size, with the same
 *                     outcome. Counting reads rather than time keeps a decision the same on replay
 * @param matches      literal hits and kept matches of one event ({@link MatchBudget}): each literal rule a needle
 *                     found in the text belongs to, each set of regex literals or trigger a found literal belongs
 *                     to, each match a redact regex or detector rule keeps; once spent, the decision is
 *                     {@code review}, reason {@link Evaluation#BUDGET_EXCEEDED} ({@code deny} if a deny rule already
 *                     matched)
 */
public record EvaluationLimits(int maxTextChars, long regexReads, long matches) {
    public static final long DEFAULT_MATCHES = 1_000_000;
    public static final EvaluationLimits DEFAULT = new EvaluationLimits(32_768, 10_000_000, DEFAULT_MATCHES);

    public EvaluationLimits {
        if (maxTextChars <= 0 || regexReads <= 0 || matches <= 0) {
            throw new IllegalArgumentException("evaluation limits must be positive: max text " + maxTextChars
                    + " chars, " + regexReads + " regex reads, " + matches + " matches");
        }
    }

    /** With the default {@link #matches}. */
    public EvaluationLimits(int maxTextChars, long regexReads) {
        this(maxTextChars, regexReads, DEFAULT_MATCHES);
    }
}
