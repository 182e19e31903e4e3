package io.soma.streams.bench;

import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.Severity;
import io.soma.streams.topologies.replay.XsTestPrompts;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Real inputs for the policy benchmarks, all from the XSTest prompts (../shared/data, or {@code -Dsoma.data.dir}).
 * <ul>
 *   <li>Texts: the 450 prompts as they are; 1 KB and 10 KB texts made by joining consecutive prompts (starting at
 *       each prompt in turn) and cutting at exactly 1,024 / 10,240 characters.</li>
 *   <li>Packs of N substring/keyword rules from the prompts' own vocabulary: every third rule is a keywords rule
 *       of three consecutive words from the sorted distinct words of 4+ letters (800 of them), the others are
 *       substring rules on a two-word phrase from the sorted distinct adjacent word pairs (1,825); both taken
 *       evenly spread over their sorted list. The packs are deterministic and really match some prompts.</li>
 * </ul>
 */
final class PolicyBenchData {
    private PolicyBenchData() {
    }

    static List<String> prompts() {
        Path dir = Path.of(System.getProperty("soma.data.dir", "../shared/data"));
        return XsTestPrompts.read(XsTestPrompts.file(dir)).stream().map(XsTestPrompts.Prompt::text).toList();
    }

    static List<String> joinedTexts(List<String> prompts, int length) {
        List<String> texts = new ArrayList<>();
        for (int start = 0; start < prompts.size(); start++) {
            StringBuilder text = new StringBuilder(length + 200);
            for (int i = start; text.length() < length; i = (i + 1) % prompts.size()) {
                text.append(prompts.get(i)).append(' ');
            }
            texts.add(text.substring(0, length));
        }
        return texts;
    }

    static RulePack literalPack(List<String> prompts, int ruleCount) {
        TreeSet<String> words = new TreeSet<>();
        TreeSet<String> pairs = new TreeSet<>();
        for (String prompt : prompts) {
            String[] tokens = prompt.toLowerCase(Locale.ROOT).replaceAll("^[^\\p{L}]+", "").split("[^\\p{L}]+");
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i].length() >= 4) {
                    words.add(tokens[i]);
                }
                if (i > 0) {
                    pairs.add(tokens[i - 1] + " " + tokens[i]);
                }
            }
        }
        List<String> wordList = List.copyOf(words);
        List<String> pairList = List.copyOf(pairs);
        List<Rule> rules = new ArrayList<>(ruleCount);
        for (int i = 0; i < ruleCount; i++) {
            boolean keywords = i % 3 == 2;
            int wordAt = spread(i, ruleCount, wordList.size() - 2);
            String pattern = keywords
                    ? String.join(" ", wordList.subList(wordAt, wordAt + 3))
                    : pairList.get(spread(i, ruleCount, pairList.size()));
            rules.add(new Rule("bench-" + i, pattern, keywords ? MatchType.KEYWORDS : MatchType.SUBSTRING,
                    0.05, Severity.MEDIUM, i % 10 == 0 ? Action.REVIEW : Action.LOG, Set.of(), Set.of(), null));
        }
        return new RulePack("bench", ruleCount, rules, Instant.EPOCH, null);
    }

    /** The i-th of n positions spread evenly over a list of the given size. */
    private static int spread(int i, int n, int size) {
        return (int) ((long) i * size / n);
    }
}
