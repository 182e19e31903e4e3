package io.soma.streams.topologies.policy.rules;

import io.soma.streams.topologies.policy.detectors.DetectorKind;

/** How a rule's pattern is matched against the text; every kind is case-insensitive. */
public enum MatchType {
    /** The pattern occurs anywhere in the text (the default). */
    SUBSTRING,
    /** A Java regular expression, found anywhere in the text; guarded against catastrophic backtracking. */
    REGEX,
    /** Words separated by spaces or commas; the rule matches when any one occurs as a whole word ({@code word*} = prefix). */
    KEYWORDS,
    /** Built-in personal-data detectors; the pattern selects types ({@code "card iban"}, or {@code "*"}). */
    PII,
    /** Built-in credential detectors; the pattern selects types. */
    SECRET,
    /** Built-in detectors of instruction override, exfiltration and obfuscation; the pattern selects types. */
    INSTRUCTION_ATTACK;

    /** The detector family this kind runs, or null for the pattern kinds (substring, regex, keywords). */
    public DetectorKind detectorKind() {
        return switch (this) {
            case SUBSTRING, REGEX, KEYWORDS -> null;
            case PII -> DetectorKind.PII;
            case SECRET -> DetectorKind.SECRET;
            case INSTRUCTION_ATTACK -> DetectorKind.INSTRUCTION_ATTACK;
        };
    }

    public String wire() {
        return WireNames.of(this);
    }

    public static MatchType fromWire(String wire) {
        return WireNames.parse(MatchType.class, wire);
    }
}
