package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.rules.WireNames;

/** The verdict on one text: deny > redact > review > allow (log-only violations leave it at allow). */
public enum Decision {
    ALLOW, REDACT, REVIEW, DENY;

    /** Content may proceed: allow (including log-only matches) and redact (with the redacted text). */
    public boolean allowed() {
        return this == ALLOW || this == REDACT;
    }

    public String wire() {
        return WireNames.of(this);
    }

    public static Decision fromWire(String wire) {
        return WireNames.parse(Decision.class, wire);
    }
}
