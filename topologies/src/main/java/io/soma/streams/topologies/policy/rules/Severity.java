package io.soma.streams.topologies.policy.rules;

/** Severity of a rule, and the band a decision's score falls in. */
public enum Severity {
    LOW, MEDIUM, HIGH, CRITICAL;

    /** Bands clients already read (docs/policy.md): ≥0.8 low, ≥0.5 medium, ≥0.2 high, else critical. */
    public static Severity ofScore(double score) {
        if (score >= 0.8) {
            return LOW;
        }
        if (score >= 0.5) {
            return MEDIUM;
        }
        return score >= 0.2 ? HIGH : CRITICAL;
    }

    public String wire() {
        return WireNames.of(this);
    }

    public static Severity fromWire(String wire) {
        return WireNames.parse(Severity.class, wire);
    }
}
