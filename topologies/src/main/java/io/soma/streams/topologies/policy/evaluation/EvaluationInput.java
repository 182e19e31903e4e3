package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.rules.Rule;

/**
 * What a policy looks at in one event. Any field may be null: an event without text is allowed with no violations.
 */
public record EvaluationInput(String text, String role, String tool) {
    public EvaluationInput {
        role = Rule.normalisedScope(role);
        tool = Rule.normalisedScope(tool);
    }
}
