package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.detectors.DetectorKind;
import io.soma.streams.topologies.policy.detectors.DetectorSelection;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.Severity;
import io.soma.streams.topologies.replay.XsTestPrompts;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The evaluator runs a detector type only where its trigger holds, checked from the regex prefilter's scan and one
 * pass of {@code TextSignals}: that must never lose a detection. Every detector type here also runs on every text
 * with no trigger at all, and both must find the same spans.
 */
class DetectorTriggersTest {
    private static final Map<String, DetectorKind> RULES = Map.of("personal", DetectorKind.PII,
            "keys", DetectorKind.SECRET, "attacks", DetectorKind.INSTRUCTION_ATTACK);
    private static final CompiledPolicy EVERY_DETECTOR = CompiledPolicy.compile(new RulePack("t1", 1,
            RULES.entrySet().stream().map(r -> new Rule(r.getKey(), DetectorSelection.ALL,
                    MatchType.valueOf(r.getValue().name()), 0.1, Severity.LOW, Action.LOG, Set.of(), Set.of(),
                    null)).toList(), Instant.EPOCH, "admin"), null);
    private static final Pattern STRING_LITERAL = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");

    @Test
    void shouldFindWhatEveryDetectorFindsWithoutTriggersOnXsTestPromptsAndJoinedTexts() {
        List<String> prompts = XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir())).stream()
                .map(XsTestPrompts.Prompt::text).toList();
        List<String> texts = new ArrayList<>(prompts);
        // a share of the joined texts: running every type untriggered over all of them takes half a minute
        texts.addAll(joined(prompts, 1024, 3));
        texts.addAll(joined(prompts, 10240, 15));

        texts.forEach(DetectorTriggersTest::assertSameDetections);
    }

    @Test
    void shouldFindWhatEveryDetectorFindsWithoutTriggersOnTheDetectorsUnitTestTexts() throws IOException {
        List<String> texts = new ArrayList<>();
        for (String test : List.of("PiiDetectorsTest", "SecretDetectorsTest", "InstructionAttackDetectorsTest")) {
            texts.addAll(stringLiterals(Path.of("src/test/java/io/soma/streams/topologies/policy/detectors",
                    test + ".java")));
        }
        assertThat(texts).hasSizeGreaterThan(100);
        texts.add(String.join(" ", texts));

        texts.forEach(DetectorTriggersTest::assertSameDetections);
    }

    private static void assertSameDetections(String text) {
        Map<String, List<MatchSpan>> withTriggers = PolicyEvaluator.evaluate(new EvaluationInput(text, "user", null),
                EVERY_DETECTOR).violations().stream().collect(Collectors.toMap(Violation::name, Violation::spans));
        Map<String, List<MatchSpan>> withoutTriggers = RULES.entrySet().stream()
                .map(r -> Map.entry(r.getKey(), DetectorSelection.of(r.getValue(), DetectorSelection.ALL)
                        .find(text, type -> true).stream()
                        .map(d -> new MatchSpan(d.start(), d.end(), d.type())).toList()))
                .filter(r -> !r.getValue().isEmpty())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(withTriggers).as(text).isEqualTo(withoutTriggers);
    }

    /** As the benchmark joins them: consecutive prompts from every {@code step}-th one, cut at {@code length}. */
    private static List<String> joined(List<String> prompts, int length, int step) {
        List<String> texts = new ArrayList<>();
        for (int start = 0; start < prompts.size(); start += step) {
            StringBuilder text = new StringBuilder(length + 200);
            for (int i = start; text.length() < length; i = (i + 1) % prompts.size()) {
                text.append(prompts.get(i)).append(' ');
            }
            texts.add(text.substring(0, length));
        }
        return texts;
    }

    /** Every string literal of a Java source, unescaped: the true positives and look-alikes the tests use. */
    private static List<String> stringLiterals(Path source) throws IOException {
        List<String> literals = new ArrayList<>();
        Matcher m = STRING_LITERAL.matcher(Files.readString(source));
        while (m.find()) {
            literals.add(unescape(m.group(1)));
        }
        return literals;
    }

    private static String unescape(String escaped) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char next = escaped.charAt(++i);
            switch (next) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'u' -> {
                    out.append((char) Integer.parseInt(escaped.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(next);
            }
        }
        return out.toString();
    }
}
