package io.soma.streams.topologies.policy;

import java.util.List;

/**
 * The outcome of evaluating one text.
 *
 * @param violations            matching rules in canonical order (by name, global before tenant), whatever their
 *                              order in the pack
 * @param redactedText          the text with redact matches replaced; null unless the decision is {@link Decision#REDACT}
 * @param rulesEvaluated        rules that apply to the event's role and tool (0 for an event without text)
 * @param regexBudgetExceeded   regex rules that gave up on this text and were counted as matched (fail closed)
 */
public record Evaluation(Decision decision, boolean allowed, double score, Severity severity,
                         List<Violation> violations, String redactedText, int rulesEvaluated,
                         List<String> regexBudgetExceeded) {
    public Evaluation {
        violations = List.copyOf(violations);
        regexBudgetExceeded = List.copyOf(regexBudgetExceeded);
    }

    static Evaluation withoutText() {
        return new Evaluation(Decision.ALLOW, true, 1.0, Severity.LOW, List.of(), null, 0, List.of());
    }
}
