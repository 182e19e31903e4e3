package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.rules.RegexGuard;
import io.soma.streams.topologies.replay.XsTestPrompts;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prefilter against its oracle, {@link Matcher#find()} over the whole text (how every regex rule ran before):
 * the same matches, first and all, for every regex of the example policy and a few with tricky edges, on every
 * XSTest prompt, on 1 KB and 10 KB texts joined from them, and on the MCP registry file cut into 10 KB texts
 * (digits, e-mail addresses and dashes for the PII rules).
 */
class RegexPrefilterTest {
    private static final List<String> EDGE_CASES = List.of(
            "(?<!bath )bombs?", "\\b(the|a)\\s+\\w+", "\\w+ing\\b", "\\b\\w{1,10}ing\\b", "\\d{4}-\\d{2}",
            "\\d+", "e.{0,5}e", "(?:to|of)$", "^\\w+", "[A-C][a-c]\\b", "(?i)what", "\\Qe.g.\\E");

    @Test
    void shouldFindWhatAWholeTextFindFindsOnEveryRealText() throws IOException {
        List<Pattern> regexes = new ArrayList<>();
        CompiledPolicy example = CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution());
        for (int i : example.regexRules()) {
            regexes.add(example.rules().get(i).regex());
        }
        EDGE_CASES.forEach(regex -> regexes.add(RegexGuard.compile(regex)));
        RegexPrefilter prefilter = new RegexPrefilter(regexes, List.of(), List.of());
        int matched = 0;
        for (String text : realTexts()) {
            RegexPrefilter.Scan scan = prefilter.scan(text, new MatchBudget(Long.MAX_VALUE));
            for (int r = 0; r < regexes.size(); r++) {
                List<List<Integer>> expected = wholeTextFind(regexes.get(r), text);
                List<List<Integer>> all = new ArrayList<>();
                List<List<Integer>> first = new ArrayList<>();
                scan.find(r, new RegexGuard.Budget(Long.MAX_VALUE), true, m -> all.add(List.of(m.start(), m.end())));
                scan.find(r, new RegexGuard.Budget(Long.MAX_VALUE), false, m -> first.add(List.of(m.start(), m.end())));

                assertThat(all).as("%s on %s", regexes.get(r), text).isEqualTo(expected);
                assertThat(first).as("%s on %s", regexes.get(r), text).isEqualTo(expected.stream().limit(1).toList());
                matched += all.size();
            }
        }
        assertThat(matched).as("the texts exercise the regexes").isGreaterThan(10_000);
    }

    private static List<List<Integer>> wholeTextFind(Pattern regex, String text) {
        List<List<Integer>> found = new ArrayList<>();
        Matcher matcher = regex.matcher(text);
        while (matcher.find()) {
            if (matcher.end() > matcher.start()) {
                found.add(List.of(matcher.start(), matcher.end()));
            }
        }
        return found;
    }

    private static List<String> realTexts() throws IOException {
        List<String> prompts = XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir())).stream()
                .map(XsTestPrompts.Prompt::text).toList();
        String registry = Files.readString(TestPaths.dataDir().resolve("mcp-registry/servers_2025-05-16.json"));
        return Stream.of(prompts.stream(), joined(prompts, 1024).stream(), joined(prompts, 10240).stream(),
                cut(registry, 10240).stream()).flatMap(s -> s).toList();
    }

    /**
     * Consecutive prompts joined from every {@code length / 100}-th prompt, cut at {@code length} (as the
     * benchmark's texts, which start at every prompt: the step keeps the test short and still covers each prompt).
     */
    private static List<String> joined(List<String> prompts, int length) {
        List<String> texts = new ArrayList<>();
        for (int start = 0; start < prompts.size(); start += length / 100) {
            StringBuilder text = new StringBuilder();
            for (int i = start; text.length() < length; i = (i + 1) % prompts.size()) {
                text.append(prompts.get(i)).append(' ');
            }
            texts.add(text.substring(0, length));
        }
        return texts;
    }

    private static List<String> cut(String text, int length) {
        List<String> pieces = new ArrayList<>();
        for (int from = 0; from < text.length(); from += length) {
            pieces.add(text.substring(from, Math.min(text.length(), from + length)));
        }
        return pieces;
    }
}
