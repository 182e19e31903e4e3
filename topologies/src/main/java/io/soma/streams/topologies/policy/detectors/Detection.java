package io.soma.streams.topologies.policy.detectors;

/**
 * One finding: the characters {@code [start, end)} of the text hold something of {@code type}, a
 * {@link DetectorType#label()} ({@code pii.card}, {@code secret.github}, {@code instruction_attack.override}, …).
 */
public record Detection(int start, int end, String type) {
}
