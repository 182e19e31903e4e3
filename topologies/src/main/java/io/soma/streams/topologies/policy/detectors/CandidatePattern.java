package io.soma.streams.topologies.policy.detectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The common shape of a detector: a regex finds candidates (group {@code group}, or the whole match), and a
 * validation keeps the real ones. The regexes here are written without nested unbounded repetition, so a scan
 * stays linear in the text (the evaluator caps the text length before any detector runs).
 */
record CandidatePattern(Pattern candidates, int group, Predicate<String> valid) implements Detector {
    static CandidatePattern of(String regex, Predicate<String> valid) {
        return new CandidatePattern(Pattern.compile(regex), 0, valid);
    }

    static CandidatePattern of(String regex) {
        return of(regex, candidate -> true);
    }

    /** Case-insensitive, for patterns of words rather than of formats. */
    static CandidatePattern words(String regex) {
        return new CandidatePattern(Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE), 0,
                candidate -> true);
    }

    /** Several {@link #words} patterns found as one type ({@link AnyOfPatterns}). */
    static Detector anyOfWords(String... regexes) {
        return new AnyOfPatterns(Arrays.stream(regexes).map(CandidatePattern::words).toList());
    }

    @Override
    public List<Span> find(String text) {
        return find(text, CandidateMatches.wholeText(text));
    }

    @Override
    public List<Span> find(String text, CandidateMatches matches) {
        List<Span> spans = new ArrayList<>();
        matches.forEach(candidates, m -> {
            if (m.start(group) >= 0 && valid.test(m.group(group))) {
                spans.add(new Span(m.start(group), m.end(group)));
            }
        });
        return spans;
    }

    @Override
    public List<Pattern> candidateRegexes() {
        return List.of(candidates);
    }
}
