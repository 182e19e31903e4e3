package io.soma.streams.topologies.policy.detectors;

import java.util.List;

/**
 * Finds one type of sensitive content in a text: a cheap candidate scan, then a validation of each candidate.
 * Pure and deterministic: the same text always gives the same spans, on any instance and on replay.
 */
public interface Detector {
    /** Where it is, as {@code [start, end)} character ranges in order of start. */
    List<Span> find(String text);

    record Span(int start, int end) {
    }
}
