package io.soma.streams.topologies.policy.detectors;

import java.util.List;

/**
 * One type a rule of a detector kind can select ({@code card} of {@code pii}), with what it finds and how it
 * validates, as {@code GET /v1/detectors} lists it.
 */
public record DetectorType(DetectorKind kind, String name, String description, Detector detector) {
    /** The label of its detections and redactions: {@code pii.card}. */
    public String label() {
        return kind.wire() + "." + name;
    }

    public List<Detection> find(String text) {
        return detector.find(text).stream().map(s -> new Detection(s.start(), s.end(), label())).toList();
    }
}
