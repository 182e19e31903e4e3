package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.rules.BuiltInPacks;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.replay.XsTestPrompts;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every evaluation (decision, score, violations with excerpts and spans, redacted text, reason) of real texts,
 * compared with what the evaluator gave when the fingerprint was recorded: a change made for speed must not change
 * a single one. The texts are the 450 XSTest prompts and 450 texts of 1,024 characters made by joining consecutive
 * prompts; the policy is the example pack with the default detector pack, under the example constitution (substring,
 * keywords, regex and detector rules, deny, review, redact and log), for roles {@code user} and {@code assistant}.
 * A deliberate change of what the evaluator decides records a new fingerprint, and says why in its commit.
 */
class EvaluationFingerprintTest {
    /** Recorded at commit b1eb256 (before the literal-pack speed-ups of issue 19 that it guards). */
    private static final String RECORDED = "1c1f6f63ddb3b57fe179bf31140d7c4f9df20a0aa75ecd12178271a6e82424ea";

    @Test
    void shouldEvaluateEveryRealTextAsWhenTheFingerprintWasRecorded() throws Exception {
        RulePack example = ExamplePolicy.rulePack();
        List<Rule> rules = new ArrayList<>(example.rules());
        rules.addAll(BuiltInPacks.named(BuiltInPacks.GUARDRAILS).orElseThrow().rules());
        CompiledPolicy policy = CompiledPolicy.compile(new RulePack(example.tenant(), example.version(), rules,
                example.updatedAt(), example.updatedBy()), ExamplePolicy.constitution());
        List<String> prompts = XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir())).stream()
                .map(XsTestPrompts.Prompt::text).toList();
        List<String> texts = new ArrayList<>(prompts);
        for (int start = 0; start < prompts.size(); start++) {
            StringBuilder joined = new StringBuilder();
            for (int i = start; joined.length() < 1024; i = (i + 1) % prompts.size()) {
                joined.append(prompts.get(i)).append(' ');
            }
            texts.add(joined.substring(0, 1024));
        }

        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        int evaluations = 0;
        for (String role : List.of("user", "assistant")) {
            for (String text : texts) {
                Evaluation e = PolicyEvaluator.evaluate(new EvaluationInput(text, role, null), policy);
                digest.update((e + "\n").getBytes(StandardCharsets.UTF_8));
                evaluations++;
            }
        }

        assertThat(evaluations).isEqualTo(1800);
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(RECORDED);
    }
}
