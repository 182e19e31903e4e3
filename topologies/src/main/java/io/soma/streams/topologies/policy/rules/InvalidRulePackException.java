package io.soma.streams.topologies.policy.rules;

import java.util.List;
import java.util.stream.Collectors;

/** A rule pack that cannot be accepted; the edge answers 422 with {@link #problems()}. */
public final class InvalidRulePackException extends RuntimeException {
    private final transient List<RulePackProblem> problems;

    public InvalidRulePackException(List<RulePackProblem> problems) {
        super("invalid rule pack: " + problems.stream().map(RulePackProblem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<RulePackProblem> problems() {
        return problems;
    }
}
