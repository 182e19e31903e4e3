package io.soma.streams.topologies.policy.evaluation;

/**
 * Where a rule matched: the characters {@code [start, end)} of the text, and the label a redaction writes there,
 * {@code [REDACTED:<label>]}: the detected type for a detector rule ({@code pii.card}), the rule's name otherwise.
 * It carries no text, so it can be shown where what matched must not be.
 */
public record MatchSpan(int start, int end, String label) {
}
