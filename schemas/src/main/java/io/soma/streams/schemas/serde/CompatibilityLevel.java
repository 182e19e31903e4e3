package io.soma.streams.schemas.serde;

/** The compatibility rules of the Confluent Schema Registry API. */
public enum CompatibilityLevel {
    NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

    /** Whether a new schema must read what the subject's last version wrote: BACKWARD, or stricter than it. */
    public boolean includesBackward() {
        return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }
}
