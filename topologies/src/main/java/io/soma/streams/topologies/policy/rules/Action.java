package io.soma.streams.topologies.policy.rules;

/** What a matching rule asks for; the decision is the strongest action among the violations. */
public enum Action {
    DENY, REDACT, REVIEW, LOG;

    public String wire() {
        return WireNames.of(this);
    }

    public static Action fromWire(String wire) {
        return WireNames.parse(Action.class, wire);
    }
}
