package io.soma.streams.topologies.policy.detectors;

import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One type found by several candidate patterns, each its own regex rather than an alternative of one: the
 * evaluator tries a regex only where its first words occur, so each pattern is tried where its own words are, not
 * wherever any alternative's are. The spans are every pattern's, once each, in the order a selection lists
 * detections (by start, the longer first); two patterns' spans may overlap.
 */
record AnyOfPatterns(List<CandidatePattern> patterns) implements Detector {
    AnyOfPatterns {
        patterns = List.copyOf(patterns);
    }

    @Override
    public List<Span> find(String text) {
        return find(text, CandidateMatches.wholeText(text));
    }

    @Override
    public List<Span> find(String text, CandidateMatches matches) {
        return patterns.stream().flatMap(p -> p.find(text, matches).stream())
                .distinct()
                .sorted(Comparator.comparingInt(Span::start)
                        .thenComparing(Comparator.comparingInt(Span::end).reversed()))
                .toList();
    }

    @Override
    public List<Pattern> candidateRegexes() {
        return patterns.stream().map(CandidatePattern::candidates).toList();
    }
}
