package io.soma.streams.topologies.policy;

/**
 * A rule that matched.
 *
 * @param description may be null
 * @param excerpt     up to 40 characters either side of the first match; null when the rule's regex ran out of
 *                    budget and was counted as matched without a position
 */
public record Violation(String name, String pattern, double weight, Severity severity, Action action,
                        String description, String excerpt, RuleOrigin origin) {
}
