package io.soma.streams.topologies.policy.evaluation;

/**
 * What evaluating one event may cost, whatever the number of rules. Past either limit the decision is
 * {@code review} (fail closed) with a reason, never an error, so one prompt cannot stall the policy stream.
 *
 * @param maxTextChars longest text (in UTF-16 chars) that is evaluated; a longer one is not evaluated at all and is
 *                     decided {@code review}, reason {@link Evaluation#TEXT_TOO_LARGE}
 * @param regexReads   character reads all regex rules of one event share (the literal rules' single automaton scan
 *                     is linear in the text and not counted); once spent, the rules not finished are named and the
 *                     decision is {@code review}, reason {@link Evaluation#BUDGET_EXCEEDED} ({@code deny} if a deny
 *                     rule already matched). The detector rules' candidate regexes read against a budget of their
 *                     own of the same size, with the same outcome. Counting reads rather than time keeps a decision
 *                     the same on replay
 */
public record EvaluationLimits(int maxTextChars, long regexReads) {
    public static final EvaluationLimits DEFAULT = new EvaluationLimits(32_768, 10_000_000);

    public EvaluationLimits {
        if (maxTextChars <= 0 || regexReads <= 0) {
            throw new IllegalArgumentException("evaluation limits must be positive: max text " + maxTextChars
                    + " chars, " + regexReads + " regex reads");
        }
    }
}
