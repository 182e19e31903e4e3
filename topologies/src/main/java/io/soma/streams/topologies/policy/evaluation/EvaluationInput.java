package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.rules.Rule;

/**
 * What a policy looks at in one event. Any field may be null: an event without text is allowed with no violations.
 *
 * @param capsule the standing of the capsule the event names; null when it names none
 */
public record EvaluationInput(String text, String role, String tool, CapsuleStanding capsule) {
    public EvaluationInput {
        role = Rule.normalisedScope(role);
        tool = Rule.normalisedScope(tool);
    }

    /** An event that names no capsule. */
    public EvaluationInput(String text, String role, String tool) {
        this(text, role, tool, null);
    }
}
