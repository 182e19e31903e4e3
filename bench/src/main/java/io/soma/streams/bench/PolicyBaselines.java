package io.soma.streams.bench;

import io.soma.streams.topologies.policy.rules.Keywords;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.RegexGuard;
import io.soma.streams.topologies.policy.rules.Rule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a user would write instead of the policy evaluator, as baselines for {@link PolicyEvaluatorBenchmark}: each
 * rule's pattern as a regex (a substring quoted, keywords as a whole-word alternation, a regex as it is) with the
 * evaluator's flags. They find whether rules match, nothing more: no scopes, scores, excerpts or redaction.
 */
final class PolicyBaselines {
    private PolicyBaselines() {
    }

    static String regexOf(Rule rule) {
        return switch (rule.match()) {
            case REGEX -> rule.pattern();
            case SUBSTRING -> Pattern.quote(rule.pattern());
            case KEYWORDS -> Keywords.split(rule.pattern()).stream()
                    .map(k -> Pattern.quote(Keywords.stem(k)) + (Keywords.isPrefix(k) ? "\\w*" : ""))
                    .collect(Collectors.joining("|", "\\b(?:", ")\\b"));
            case PII, SECRET, INSTRUCTION_ATTACK -> throw new IllegalArgumentException(
                    "a detector rule has no one-pattern equivalent: " + rule.name());
        };
    }

    /** A loop over the rules: {@code String.contains} on the lower-cased text for a substring, else {@code Matcher.find}. */
    static final class RuleByRule {
        private final List<String> substrings = new ArrayList<>();
        private final List<Pattern> regexes = new ArrayList<>();

        RuleByRule(List<Rule> rules) {
            for (Rule rule : rules) {
                if (rule.match() == MatchType.SUBSTRING) {
                    substrings.add(rule.pattern().toLowerCase(Locale.ROOT));
                } else {
                    regexes.add(RegexGuard.compile(regexOf(rule)));
                }
            }
        }

        /** How many rules match. */
        int matchingRules(String text) {
            String lowerCased = text.toLowerCase(Locale.ROOT);
            int matching = 0;
            for (String substring : substrings) {
                matching += lowerCased.contains(substring) ? 1 : 0;
            }
            for (Pattern regex : regexes) {
                matching += regex.matcher(text).find() ? 1 : 0;
            }
            return matching;
        }
    }

    /** Every rule as one alternative of one {@code java.util.regex} pattern, found over the text once. */
    static final class OneAlternation {
        private final Pattern alternation;

        OneAlternation(List<Rule> rules) {
            alternation = RegexGuard.compile(rules.stream().map(r -> "(?:" + regexOf(r) + ")")
                    .collect(Collectors.joining("|")));
        }

        /** How many non-overlapping matches the text holds. */
        int matches(String text) {
            Matcher matcher = alternation.matcher(text);
            int matches = 0;
            while (matcher.find()) {
                matches++;
            }
            return matches;
        }
    }
}
