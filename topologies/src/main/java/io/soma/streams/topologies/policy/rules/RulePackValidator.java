package io.soma.streams.topologies.policy.rules;

import io.soma.streams.topologies.policy.detectors.DetectorSelection;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Checks a pack before it is accepted; every problem names the offending rule. */
public final class RulePackValidator {
    /** Upper bound on rules per pack, so one tenant cannot make every evaluation slow. */
    public static final int MAX_RULES = 5_000;
    public static final int MAX_NAME_LENGTH = 200;

    private RulePackValidator() {
    }

    public static List<RulePackProblem> validate(RulePack pack) {
        List<RulePackProblem> problems = new ArrayList<>();
        if (pack.tenant().isBlank()) {
            problems.add(new RulePackProblem(null, "tenant", "must not be blank"));
        }
        if (pack.version() < 0) {
            problems.add(new RulePackProblem(null, "version", "must not be negative"));
        }
        problems.addAll(validateRules(pack.rules()));
        return problems;
    }

    /** The checks on a list of rules alone, shared with a constitution's global rules. */
    public static List<RulePackProblem> validateRules(List<Rule> rules) {
        List<RulePackProblem> problems = new ArrayList<>();
        if (rules.size() > MAX_RULES) {
            problems.add(new RulePackProblem(null, "rules", "more than " + MAX_RULES + " rules"));
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            String label = rule.name().isBlank() ? "rules[" + i + "]" : rule.name();
            if (rule.name().isBlank()) {
                problems.add(new RulePackProblem(label, "name", "must not be blank"));
            } else if (rule.name().length() > MAX_NAME_LENGTH) {
                problems.add(new RulePackProblem(label, "name", "longer than " + MAX_NAME_LENGTH + " characters"));
            } else if (!names.add(rule.name())) {
                problems.add(new RulePackProblem(label, "name", "duplicate rule name"));
            }
            if (!(rule.weight() >= 0 && rule.weight() <= 1)) {
                problems.add(new RulePackProblem(label, "weight", "must be within 0..1, was " + rule.weight()));
            }
            patternProblem(rule).ifPresent(message -> problems.add(new RulePackProblem(label, "pattern", message)));
            if (rule.appliesToRoles().stream().anyMatch(String::isEmpty)
                    || rule.appliesToTools().stream().anyMatch(String::isEmpty)) {
                problems.add(new RulePackProblem(label, "applies_to", "roles and tools must not be blank"));
            }
        }
        return problems;
    }

    private static Optional<String> patternProblem(Rule rule) {
        if (rule.pattern().isBlank()) {
            return Optional.of("must not be blank");
        }
        return switch (rule.match()) {
            case SUBSTRING -> Optional.empty();
            case REGEX -> RegexGuard.problem(rule.pattern());
            case KEYWORDS -> Keywords.split(rule.pattern()).stream()
                    .filter(k -> !Keywords.wellFormed(k))
                    .findFirst()
                    .map(k -> "keyword '" + k + "' must be letters, digits, _ ' or - with an optional trailing *");
            case PII, SECRET, INSTRUCTION_ATTACK -> DetectorSelection.problem(rule.match().detectorKind(), rule.pattern());
        };
    }
}
