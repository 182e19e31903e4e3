package io.soma.streams.topologies.policy.detectors;

import java.util.List;
import java.util.Locale;

/** The families of built-in detectors; each is a rule match kind whose pattern selects some of its types. */
public enum DetectorKind {
    PII("personal data, validated where the format allows (checksums, number plans, calendar dates)"),
    SECRET("credentials in known formats, and high-entropy values next to key-like words"),
    INSTRUCTION_ATTACK("attempts to override or exfiltrate an assistant's instructions, and obfuscation tells");

    private final String description;

    DetectorKind(String description) {
        this.description = description;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String description() {
        return description;
    }

    /** Its types in a fixed order. */
    public List<DetectorType> types() {
        return switch (this) {
            case PII -> PiiDetectors.TYPES;
            case SECRET -> SecretDetectors.TYPES;
            case INSTRUCTION_ATTACK -> InstructionAttackDetectors.TYPES;
        };
    }
}
