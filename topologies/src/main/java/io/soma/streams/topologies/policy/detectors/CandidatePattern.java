package io.soma.streams.topologies.policy.detectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

/**
 * The common shape of a detector: a regex finds candidates (group {@code group}, or the whole match), and a
 * validation keeps the real ones, whole or, where a format allows it, their longest valid prefix
 * ({@code validLength}: how much of the candidate counts, 0 for none). The regexes here are written without nested
 * unbounded repetition, so a scan stays linear in the text (the evaluator caps the text length before any detector
 * runs).
 */
record CandidatePattern(Pattern candidates, int group, ToIntFunction<String> validLength) implements Detector {
    static CandidatePattern of(String regex, Predicate<String> valid) {
        return new CandidatePattern(Pattern.compile(regex), 0, whole(valid));
    }

    static CandidatePattern of(String regex) {
        return of(regex, candidate -> true);
    }

    /** A validation of the whole candidate: all of it counts, or none. */
    static ToIntFunction<String> whole(Predicate<String> valid) {
        return candidate -> valid.test(candidate) ? candidate.length() : 0;
    }

    /** Case-insensitive, for patterns of words rather than of formats. */
    static CandidatePattern words(String regex) {
        return new CandidatePattern(Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE), 0,
                whole(candidate -> true));
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
            int length = m.start(group) < 0 ? 0 : validLength.applyAsInt(m.group(group));
            if (length > 0) {
                spans.add(new Span(m.start(group), m.start(group) + length));
            }
        });
        return spans;
    }

    @Override
    public List<Pattern> candidateRegexes() {
        return List.of(candidates);
    }
}
