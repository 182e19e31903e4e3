package io.soma.streams.topologies.policy.example;

import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Decision;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.evaluation.Violation;
import io.soma.streams.topologies.policy.rules.BuiltInPacks;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.replay.XsTestPrompts;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures the example pack (plus the example constitution's global rules), the default pack (built-in detectors)
 * and the two together on the 450 XSTest prompts: a prompt is flagged when the decision is deny or review. Writes
 * the confusion matrices to {@code <build dir>/policy-xstest-report.txt} and
 * {@code policy-xstest-guardrails-report.txt} and prints them; docs/policy.md quotes them.
 */
class ExamplePackXsTestTest {
    /** The real XSTest prompts (../shared/data, never copied into the repository). */
    private static List<XsTestPrompts.Prompt> xsTestPrompts() {
        return XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir()));
    }

    /** The example tenant pack with the example constitution's global rules, as the demo runs them. */
    private static CompiledPolicy examplePolicy() {
        return CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution());
    }

    private static boolean flagged(Evaluation e) {
        return e.decision() == Decision.DENY || e.decision() == Decision.REVIEW;
    }

    /** The default pack (built-in detectors) alone: what a tenant that opts into it and nothing else gets. */
    private static CompiledPolicy guardrailsPolicy() {
        return CompiledPolicy.compile(new RulePack("xstest", 1, guardrails(), Instant.EPOCH, "xstest"), null);
    }

    /** The example tenant pack with the default pack included, under the example constitution. */
    private static CompiledPolicy exampleWithGuardrailsPolicy() {
        RulePack example = ExamplePolicy.rulePack();
        List<Rule> rules = new ArrayList<>(example.rules());
        rules.addAll(guardrails());
        return CompiledPolicy.compile(new RulePack(example.tenant(), example.version(), rules, example.updatedAt(),
                example.updatedBy()), ExamplePolicy.constitution());
    }

    private static List<Rule> guardrails() {
        return BuiltInPacks.named(BuiltInPacks.GUARDRAILS).orElseThrow().rules();
    }

    @Test
    void shouldMeasureTheExamplePackOnXsTest() throws IOException {
        String report = measure("example pack + example constitution", examplePolicy());
        write("policy-xstest-report.txt", report);
    }

    @Test
    void shouldMeasureTheDefaultPackAgainstTheExamplePackOnXsTest() throws IOException {
        String report = measure("default pack (guardrails) alone", guardrailsPolicy())
                + measure("example pack + guardrails + example constitution", exampleWithGuardrailsPolicy());
        write("policy-xstest-guardrails-report.txt", report);
    }

    private static String measure(String name, CompiledPolicy policy) {
        List<XsTestPrompts.Prompt> prompts = xsTestPrompts();
        int tp = 0;
        int fn = 0;
        int fp = 0;
        int tn = 0;
        Map<String, int[]> byType = new TreeMap<>();
        Map<Decision, Integer> decisions = new TreeMap<>();
        List<String> falsePositives = new ArrayList<>();
        for (XsTestPrompts.Prompt p : prompts) {
            Evaluation e = PolicyEvaluator.evaluate(new EvaluationInput(p.text(), "user", null), policy);
            boolean flagged = flagged(e);
            decisions.merge(e.decision(), 1, Integer::sum);
            int[] counts = byType.computeIfAbsent(p.type() + " (" + p.label() + ")", t -> new int[2]);
            counts[0] += flagged ? 1 : 0;
            counts[1]++;
            if (p.unsafe()) {
                tp += flagged ? 1 : 0;
                fn += flagged ? 0 : 1;
            } else {
                fp += flagged ? 1 : 0;
                tn += flagged ? 0 : 1;
                if (flagged) {
                    falsePositives.add(p.id() + " " + e.violations().stream().map(Violation::name).toList());
                }
            }
        }
        StringBuilder report = new StringBuilder()
                .append("== ").append(name).append('\n')
                .append(String.format("prompts %d (unsafe %d, safe %d), rules %d%n", prompts.size(), tp + fn, fp + tn,
                        policy.ruleCount()))
                .append(String.format("TP %d  FN %d  FP %d  TN %d%n", tp, fn, fp, tn))
                .append(String.format("precision(unsafe) %.3f  recall(unsafe) %.3f  false-positive rate(safe) %.3f%n",
                        tp / (double) (tp + fp), tp / (double) (tp + fn), fp / (double) (fp + tn)))
                .append("decisions ").append(decisions).append('\n')
                .append("flagged by type:\n");
        byType.forEach((type, c) -> report.append(String.format("  %-40s %3d / %3d%n", type, c[0], c[1])));
        report.append("false positives (id, rules): ").append(falsePositives).append('\n');

        assertThat(tp + fn + fp + tn).isEqualTo(450);
        assertThat(tp + fn).isEqualTo(200);
        return report.toString();
    }

    private static void write(String fileName, String report) throws IOException {
        Path out = Path.of(System.getProperty("soma.test.work.dir", "target/test-work")).getParent()
                .resolve(fileName);
        Files.writeString(out, report);
        System.out.print(report);
    }

    @Test
    void shouldGiveTheSameDecisionsWhateverTheRuleOrder() {
        List<XsTestPrompts.Prompt> prompts = xsTestPrompts();
        RulePack pack = ExamplePolicy.rulePack();
        Constitution constitution = ExamplePolicy.constitution();
        List<Evaluation> reference = evaluateAll(prompts, CompiledPolicy.compile(pack, constitution));
        Random random = new Random(20240601);
        for (int round = 0; round < 5; round++) {
            List<Rule> shuffled = new ArrayList<>(pack.rules());
            Collections.shuffle(shuffled, random);
            RulePack reordered = new RulePack(pack.tenant(), pack.version(), shuffled, pack.updatedAt(), pack.updatedBy());

            assertThat(evaluateAll(prompts, CompiledPolicy.compile(reordered, constitution))).isEqualTo(reference);
        }
        assertThat(evaluateAll(prompts, CompiledPolicy.compile(pack, constitution))).isEqualTo(reference);
    }

    private static List<Evaluation> evaluateAll(List<XsTestPrompts.Prompt> prompts, CompiledPolicy policy) {
        return prompts.stream()
                .map(p -> PolicyEvaluator.evaluate(new EvaluationInput(p.text(), "user", null), policy))
                .toList();
    }
}
