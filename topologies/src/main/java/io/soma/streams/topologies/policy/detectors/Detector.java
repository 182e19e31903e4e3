package io.soma.streams.topologies.policy.detectors;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds one type of sensitive content in a text: a cheap candidate scan, then a validation of each candidate.
 * Pure and deterministic: the same text always gives the same spans, on any instance and on replay.
 */
public interface Detector {
    /** Where it is, as {@code [start, end)} character ranges in order of start. */
    List<Span> find(String text);

    /**
     * The same spans, with its {@link #candidateRegexes()} matched through {@code candidates} (which give what a
     * whole-text find gives, only cheaper).
     */
    default List<Span> find(String text, CandidateMatches candidates) {
        return find(text);
    }

    /** The regexes it finds candidates with through {@link CandidateMatches}, for the evaluator to prepare. */
    default List<Pattern> candidateRegexes() {
        return List.of();
    }

    record Span(int start, int end) {
    }
}
