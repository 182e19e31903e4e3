package io.soma.streams.topologies.policy.detectors;

import java.util.function.Consumer;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The non-empty matches of a detector's candidate regex in one text, in order: exactly those of
 * {@link Matcher#find()} over the whole text. {@link #wholeText} runs that find; the evaluator's shared literal scan
 * gives the same matches while trying the regex only at or around where its literals occur.
 */
public interface CandidateMatches {
    /** Hands each match to {@code match}; the result is valid only during the call. */
    void forEach(Pattern regex, Consumer<MatchResult> match);

    static CandidateMatches wholeText(CharSequence text) {
        return (regex, match) -> {
            Matcher m = regex.matcher(text);
            while (m.find()) {
                if (m.end() > m.start()) {
                    match.accept(m);
                }
            }
        };
    }
}
