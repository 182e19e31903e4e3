package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.Severity;

import java.util.List;

/**
 * A rule that matched.
 *
 * @param description may be null
 * @param excerpt     up to 40 characters either side of the first match, redact matches in it replaced
 * @param spans       where it matched, without the text: every match of a redact or detector rule, the first
 *                    match of any other rule
 */
public record Violation(String name, String pattern, double weight, Severity severity, Action action,
                        String description, String excerpt, RuleOrigin origin, List<MatchSpan> spans) {
    public Violation {
        spans = List.copyOf(spans);
    }
}
