package io.soma.streams.topologies.policy.rules;

/**
 * Why a rule pack (or a constitution's global rules) is refused.
 *
 * @param rule  the offending rule's name, or its position ("rules[3]") when it has none; null for pack-level problems
 * @param field the offending field, e.g. "pattern"
 */
public record RulePackProblem(String rule, String field, String message) {
    @Override
    public String toString() {
        return (rule == null ? "" : rule + ".") + field + ": " + message;
    }
}
