package io.soma.streams.topologies.policy.detectors;

import java.util.List;

/**
 * One type a rule of a detector kind can select ({@code card} of {@code pii}), with what it finds and how it
 * validates, as {@code GET /v1/detectors} lists it. Its detector runs only on texts that meet its trigger.
 */
public record DetectorType(DetectorKind kind, String name, String description, Trigger trigger, Detector detector) {
    /** The label of its detections and redactions: {@code pii.card}. */
    public String label() {
        return kind.wire() + "." + name;
    }

    /** Its detections, none without checking further when the text does not meet its trigger. */
    public List<Detection> find(String text) {
        return trigger.holdsIn(text) ? scan(text) : List.of();
    }

    /** Its detections, for a text the caller knows meets its trigger (a text that does not gives none). */
    public List<Detection> scan(String text) {
        return scan(text, CandidateMatches.wholeText(text));
    }

    /** As {@link #scan(String)}, its candidate regexes matched through {@code candidates}. */
    public List<Detection> scan(String text, CandidateMatches candidates) {
        return detector.find(text, candidates).stream().map(s -> new Detection(s.start(), s.end(), label())).toList();
    }
}
