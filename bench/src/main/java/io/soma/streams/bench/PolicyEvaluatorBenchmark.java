package io.soma.streams.bench;

import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.EvaluationLimits;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.BuiltInPacks;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.Severity;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** One policy evaluation per invocation, cycling through real texts (or the worst case); SampleTime reports p50/p99. */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyEvaluatorBenchmark {
    @State(Scope.Thread)
    public static class Inputs {
        /**
         * "example" is the example pack with the example constitution's global rules (regexes included);
         * "guardrails" the default pack of detector rules alone; "example+guardrails" both in one pack.
         */
        @Param({"10", "100", "1000", "example", "guardrails", "example+guardrails"})
        public String pack;
        @Param({"xstest", "1kb", "10kb"})
        public String text;

        CompiledPolicy policy;
        PolicyBaselines.RuleByRule ruleByRule;
        PolicyBaselines.OneAlternation oneAlternation;
        List<EvaluationInput> inputs;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            List<String> prompts = PolicyBenchData.prompts();
            RulePack rulePack = switch (pack) {
                case "example" -> ExamplePolicy.rulePack();
                case "guardrails" -> withRules(List.of(), guardrails());
                case "example+guardrails" -> withRules(ExamplePolicy.rulePack().rules(), guardrails());
                default -> PolicyBenchData.literalPack(prompts, Integer.parseInt(pack));
            };
            Constitution constitution = pack.startsWith("example") ? ExamplePolicy.constitution() : null;
            policy = CompiledPolicy.compile(rulePack, constitution);
            // the baselines have no equivalent of a detector: they get the pattern rules (none for "guardrails")
            List<Rule> rules = new ArrayList<>(rulePack.rules());
            if (constitution != null) {
                rules.addAll(constitution.rules());
            }
            rules.removeIf(rule -> rule.match().detectorKind() != null);
            ruleByRule = new PolicyBaselines.RuleByRule(rules);
            oneAlternation = new PolicyBaselines.OneAlternation(rules);
            List<String> texts = switch (text) {
                case "xstest" -> prompts;
                case "1kb" -> PolicyBenchData.joinedTexts(prompts, 1024);
                case "10kb" -> PolicyBenchData.joinedTexts(prompts, 10240);
                default -> throw new IllegalArgumentException(text);
            };
            inputs = texts.stream().map(t -> new EvaluationInput(t, "user", null)).toList();
        }

        private static List<Rule> guardrails() {
            return BuiltInPacks.named(BuiltInPacks.GUARDRAILS).orElseThrow().rules();
        }

        /** The example pack's tenant and version with these rules. */
        private static RulePack withRules(List<Rule> first, List<Rule> second) {
            RulePack example = ExamplePolicy.rulePack();
            List<Rule> rules = new ArrayList<>(first);
            rules.addAll(second);
            return new RulePack(example.tenant(), example.version(), rules, example.updatedAt(), example.updatedBy());
        }

        EvaluationInput nextInput() {
            EvaluationInput input = inputs.get(next);
            next = next + 1 == inputs.size() ? 0 : next + 1;
            return input;
        }
    }

    /**
     * The worst case the evaluation limits allow: the example policy plus a backtracking regex (named to run last,
     * after every example regex) on its near miss, which spends the event's whole regex budget.
     */
    @State(Scope.Thread)
    public static class WorstCase {
        /** "near-miss" is the bare 209-character near miss; "max-text" pads it with prompts to the maximum text size. */
        @Param({"near-miss", "max-text"})
        public String worstText;

        CompiledPolicy policy;
        EvaluationInput input;

        @Setup(Level.Trial)
        public void setUp() {
            RulePack example = ExamplePolicy.rulePack();
            List<Rule> rules = new ArrayList<>(example.rules());
            rules.add(new Rule("zz-backtracking", ExamplePolicy.BACKTRACKING_REGEX, MatchType.REGEX, 0.5, Severity.HIGH,
                    Action.DENY, Set.of(), Set.of(), null));
            policy = CompiledPolicy.compile(new RulePack(example.tenant(), example.version(), rules,
                    example.updatedAt(), example.updatedBy()), ExamplePolicy.constitution());
            String nearMiss = ExamplePolicy.BACKTRACKING_NEAR_MISS;
            int padding = EvaluationLimits.DEFAULT.maxTextChars() - nearMiss.length();
            String text = switch (worstText) {
                case "near-miss" -> nearMiss;
                case "max-text" -> PolicyBenchData.joinedTexts(PolicyBenchData.prompts(), padding).get(0) + nearMiss;
                default -> throw new IllegalArgumentException(worstText);
            };
            input = new EvaluationInput(text, "user", null);
            String reason = PolicyEvaluator.evaluate(input, policy).reason();
            if (!Evaluation.BUDGET_EXCEEDED.equals(reason)) {
                throw new IllegalStateException("not a worst case: the budget was not spent (" + reason + ")");
            }
        }
    }

    @Benchmark
    public Evaluation evaluate(Inputs inputs) {
        return PolicyEvaluator.evaluate(inputs.nextInput(), inputs.policy);
    }

    /** Baseline: {@code String.contains} / {@code Matcher.find} for every rule. */
    @Benchmark
    public int ruleByRule(Inputs inputs) {
        return inputs.ruleByRule.matchingRules(inputs.nextInput().text());
    }

    /** Baseline: one {@code java.util.regex} alternation of every rule, found over the whole text. */
    @Benchmark
    public int oneAlternation(Inputs inputs) {
        return inputs.oneAlternation.matches(inputs.nextInput().text());
    }

    @Benchmark
    public Evaluation evaluateWorstCase(WorstCase worst) {
        return PolicyEvaluator.evaluate(worst.input, worst.policy);
    }
}
