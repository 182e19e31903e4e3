package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.rules.Severity;

import java.util.List;

/**
 * The outcome of evaluating one text.
 *
 * @param violations      matching rules in canonical order (by name, global before tenant), whatever their order in
 *                        the pack; when the evaluation stopped early, the rules that matched before it did
 * @param redactedText    the text with redact matches replaced; null unless the decision is {@link Decision#REDACT}
 * @param rulesEvaluated  rules that apply to the event's role and tool (0 for an event without text or not evaluated)
 * @param reason          why not every rule was evaluated ({@link #BUDGET_EXCEEDED}, {@link #TEXT_TOO_LARGE},
 *                        {@link #CAPSULE_NOT_APPROVED}, {@link #RULEPACK_NOT_APPLIED}); null when every rule was
 * @param unfinishedRules rules cut short or never run because a budget was spent: the rule that spent it and every
 *                        later rule of its kind, or every rule the scan that spent it prepares (see docs/policy.md)
 */
public record Evaluation(Decision decision, boolean allowed, double score, Severity severity,
                         List<Violation> violations, String redactedText, int rulesEvaluated,
                         String reason, List<String> unfinishedRules) {
    /**
     * One of the event's budgets ({@link EvaluationLimits#regexReads}, {@link EvaluationLimits#matches}) ran out:
     * decided review (deny if a deny rule matched).
     */
    public static final String BUDGET_EXCEEDED = "evaluation_budget_exceeded";
    /** The text is longer than {@link EvaluationLimits#maxTextChars}: decided review, nothing evaluated. */
    public static final String TEXT_TOO_LARGE = "text_too_large";
    /**
     * The tenant has a rule pack this build cannot apply (CompiledPolicy#withPackNotApplied): decided review (deny if a
     * constitution's deny rule matched), without excerpts, since the pack's rules are unknown.
     */
    public static final String RULEPACK_NOT_APPLIED = "rulepack_not_applied";
    /** The event names a capsule the catalog does not hold as approved: denied, nothing evaluated. */
    public static final String CAPSULE_NOT_APPROVED = "capsule_not_approved";

    public Evaluation {
        violations = List.copyOf(violations);
        unfinishedRules = List.copyOf(unfinishedRules);
    }

    static Evaluation withoutText() {
        return new Evaluation(Decision.ALLOW, true, 1.0, Severity.LOW, List.of(), null, 0, null, List.of());
    }

    static Evaluation textTooLarge() {
        return new Evaluation(Decision.REVIEW, false, 1.0, Severity.LOW, List.of(), null, 0, TEXT_TOO_LARGE, List.of());
    }

    static Evaluation capsuleNotApproved() {
        return new Evaluation(Decision.DENY, false, 1.0, Severity.LOW, List.of(), null, 0, CAPSULE_NOT_APPROVED, List.of());
    }
}
