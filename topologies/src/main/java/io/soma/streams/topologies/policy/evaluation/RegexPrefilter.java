package io.soma.streams.topologies.policy.evaluation;

import com.hankcs.algorithm.AhoCorasickDoubleArrayTrie;
import io.soma.streams.topologies.policy.detectors.CandidateMatches;
import io.soma.streams.topologies.policy.detectors.Trigger;
import io.soma.streams.topologies.policy.rules.RegexGuard;
import io.soma.streams.topologies.policy.rules.RegexLiterals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the matches of a policy's regexes while running each one only where its {@link RegexLiterals} occur: one
 * Aho–Corasick scan of the folded text finds the literals of every regex; a regex missing one of its required
 * literals is not run at all; one with known prefixes is tried only where a prefix occurs; one with a bounded match
 * length is run only in windows of that length around its rarest literal; any other runs over the whole text.
 * <p>
 * The matches are exactly those of {@link Matcher#find()} over the whole text: a match always contains its
 * literals, so it lies in the place or window they give, and with transparent bounds a regex matches the same
 * there as in the whole text (lookarounds and {@code \b} still see the chars around the region). Only the number of
 * chars the regexes read, counted against the event's {@link RegexGuard.Budget}, goes down.
 * <p>
 * The same scan finds the literals of the policy's detector {@link Trigger.Literals triggers}, so a detector type
 * whose trigger is a literal runs only on texts that hold one, at no second pass over the text; and the literals of
 * the detectors' candidate regexes, so that a triggered detector validates only the candidates at or around them
 * ({@link Scan#within}) instead of scanning the whole text again. Immutable.
 */
final class RegexPrefilter {
    /** Reports one non-empty match; valid only during the call. */
    interface Matches {
        void add(MatchResult match);
    }

    /** The rules' regexes, then the detectors' candidate regexes. */
    private final List<Pattern> regexes;
    /** Index in {@link #regexes} of each detector candidate regex. */
    private final Map<Pattern, Integer> candidateRegexes = new IdentityHashMap<>();
    private final List<RegexLiterals> literals;
    /** Per regex, the slot of its prefixes, or -1. */
    private final int[] prefixSlot;
    /** Per regex, the slots of its required literal sets. */
    private final int[][] requiredSlots;
    /** Per trigger, its slot. */
    private final int[] triggerSlots;
    /** Per slot, the trigger whose literals it holds, or null for a regex's slot. */
    private final Trigger.Literals[] triggerOfSlot;
    /** Every literal with the slots it belongs to; null when no regex or trigger has any. */
    private final AhoCorasickDoubleArrayTrie<int[]> automaton;
    private final int slotCount;

    /**
     * @param ruleRegexes      the regex rules' patterns: every literal they need is looked for
     * @param candidateRegexes detector candidate regexes: only literals that are rare in prose are looked for, as
     *                         their scan runs on every text of the policy
     */
    RegexPrefilter(List<Pattern> ruleRegexes, List<Pattern> candidateRegexes, List<Trigger.Literals> triggers) {
        List<Pattern> all = new ArrayList<>(ruleRegexes);
        for (Pattern candidate : candidateRegexes) {
            if (!this.candidateRegexes.containsKey(candidate)) {
                this.candidateRegexes.put(candidate, all.size());
                all.add(candidate);
            }
        }
        this.regexes = List.copyOf(all);
        this.literals = new ArrayList<>();
        for (int r = 0; r < regexes.size(); r++) {
            RegexLiterals l = RegexLiterals.of(regexes.get(r).pattern());
            literals.add(r < ruleRegexes.size() ? l : rareInProse(l));
        }
        this.prefixSlot = new int[regexes.size()];
        this.requiredSlots = new int[regexes.size()][];
        Map<String, List<Integer>> slots = new HashMap<>();
        // regexes needing the same set of literals share its slot: a pack of many rules alike records each place once
        Map<Set<String>, Integer> regexSlots = new HashMap<>();
        for (int r = 0; r < regexes.size(); r++) {
            RegexLiterals l = literals.get(r);
            prefixSlot[r] = l.prefixes() == null ? -1 : regexSlot(regexSlots, slots, l.prefixes());
            requiredSlots[r] = new int[l.required().size()];
            for (int k = 0; k < l.required().size(); k++) {
                requiredSlots[r][k] = regexSlot(regexSlots, slots, l.required().get(k));
            }
        }
        int slot = regexSlots.size();
        this.triggerSlots = new int[triggers.size()];
        int firstTriggerSlot = slot;
        for (int t = 0; t < triggers.size(); t++) {
            triggerSlots[t] = slot;
            addSlot(slots, triggers.get(t).literals().stream().map(l -> new String(RegexLiterals.fold(l))).toList(),
                    slot++);
        }
        this.triggerOfSlot = new Trigger.Literals[slot];
        for (int t = 0; t < triggers.size(); t++) {
            triggerOfSlot[firstTriggerSlot + t] = triggers.get(t);
        }
        Map<String, int[]> slotsByLiteral = new HashMap<>();
        slots.forEach((literal, list) -> slotsByLiteral.put(literal,
                list.stream().mapToInt(Integer::intValue).toArray()));
        this.slotCount = slot;
        this.automaton = slotsByLiteral.isEmpty() ? null : new AhoCorasickDoubleArrayTrie<>();
        if (automaton != null) {
            automaton.build(slotsByLiteral);
        }
    }

    /**
     * Only the literal sets whose every literal is longer than one char or a digit: single letters, spaces and
     * punctuation fill every text, so looking for them would cost each text a hit per char or so.
     */
    private static RegexLiterals rareInProse(RegexLiterals l) {
        Set<String> prefixes = l.prefixes() != null && rare(l.prefixes()) ? l.prefixes() : null;
        return new RegexLiterals(prefixes, l.required().stream().filter(RegexPrefilter::rare).toList(), l.maxLength());
    }

    private static boolean rare(Set<String> literals) {
        return literals.stream().allMatch(l -> l.length() > 1 || Character.isDigit(l.charAt(0)));
    }

    private static int regexSlot(Map<Set<String>, Integer> regexSlots, Map<String, List<Integer>> slots,
                                 Set<String> literals) {
        Integer known = regexSlots.get(literals);
        if (known != null) {
            return known;
        }
        int slot = regexSlots.size();
        regexSlots.put(literals, slot);
        addSlot(slots, literals.stream().toList(), slot);
        return slot;
    }

    private static void addSlot(Map<String, List<Integer>> slots, List<String> literals, int slot) {
        literals.forEach(literal -> slots.computeIfAbsent(literal, l -> new ArrayList<>()).add(slot));
    }

    /**
     * Where every regex's and trigger's literals occur in the text, each regex or trigger a found literal belongs to
     * counted against {@code budget}.
     *
     * @throws MatchBudget.Spent once it is spent
     */
    Scan scan(String text, MatchBudget budget) {
        return new Scan(text, budget);
    }

    /**
     * One text's literal occurrences, per slot as {@code start << 32 | end}, in order; and through them the matches
     * of the detectors' candidate regexes.
     */
    final class Scan {
        private final String text;
        private final long[][] hits = new long[slotCount][];
        private final int[] hitCounts = new int[slotCount];

        private Scan(String text, MatchBudget budget) {
            this.text = text;
            if (automaton == null) {
                return;
            }
            automaton.parseText(RegexLiterals.fold(text), (start, end, slots) -> {
                budget.spend(slots.length);
                for (int slot : slots) {
                    if (triggerOfSlot[slot] == null) {
                        add(slot, (long) start << 32 | end);
                    } else if (hitCounts[slot] == 0 && triggerOfSlot[slot].occursAt(text, start, end)) {
                        // a trigger needs one occurrence: further ones ("." of ip, every sentence) are not checked
                        add(slot, (long) start << 32 | end);
                    }
                }
            });
            for (int slot = 0; slot < slotCount; slot++) {
                if (hits[slot] != null) {
                    Arrays.sort(hits[slot], 0, hitCounts[slot]);
                }
            }
        }

        /** Whether trigger {@code t} holds: one of its literals occurs. */
        boolean triggered(int t) {
            return hitCounts[triggerSlots[t]] > 0;
        }

        private void add(int slot, long hit) {
            if (hits[slot] == null) {
                hits[slot] = new long[4];
            } else if (hitCounts[slot] == hits[slot].length) {
                hits[slot] = Arrays.copyOf(hits[slot], hitCounts[slot] * 2);
            }
            hits[slot][hitCounts[slot]++] = hit;
        }

        /**
         * The detectors' candidate regexes' matches (a regex it was not built with runs over the whole text), every
         * char they read counted against {@code budget}, so that a detector's regex cannot hold an evaluation either;
         * {@code forEach} throws {@link RegexGuard.BudgetExceeded} once it is spent.
         */
        CandidateMatches within(RegexGuard.Budget budget) {
            return (regex, match) -> {
                Integer r = candidateRegexes.get(regex);
                if (r == null) {
                    CandidateMatches.wholeText(RegexGuard.bounded(text, budget)).forEach(regex, match);
                } else {
                    find(r, budget, true, match::accept);
                }
            };
        }

        /**
         * The non-empty matches of regex {@code r}, as {@link Matcher#find()} over the whole text gives them: the
         * first only, or all of them with {@code all}.
         *
         * @param budget the reads left to this regex's kind of rule
         * @throws RegexGuard.BudgetExceeded when the budget runs out
         */
        void find(int r, RegexGuard.Budget budget, boolean all, Matches matches) {
            for (int slot : requiredSlots[r]) {
                if (hitCounts[slot] == 0) {
                    return;
                }
            }
            Matcher matcher = regexes.get(r).matcher(RegexGuard.bounded(text, budget))
                    .useTransparentBounds(true).useAnchoringBounds(false);
            int maxLength = literals.get(r).maxLength();
            if (prefixSlot[r] >= 0) {
                fromPrefixes(r, matcher, maxLength, all, matches);
            } else if (maxLength != RegexLiterals.UNBOUNDED && requiredSlots[r].length > 0) {
                inWindows(rarest(requiredSlots[r]), matcher, maxLength, all, matches);
            } else {
                while (matcher.find()) {
                    if (matcher.end() > matcher.start()) {
                        matches.add(matcher);
                        if (!all) {
                            return;
                        }
                    }
                }
            }
        }

        private void fromPrefixes(int r, Matcher matcher, int maxLength, boolean all, Matches matches) {
            int slot = prefixSlot[r];
            int next = 0;
            int tried = -1;
            for (int k = 0; k < hitCounts[slot]; k++) {
                int start = start(hits[slot][k]);
                if (start < next || start == tried) {
                    continue;
                }
                tried = start;
                if (maxLength != RegexLiterals.UNBOUNDED && !allRequiredIn(r, start, start + maxLength)) {
                    continue;
                }
                matcher.region(start, text.length());
                if (matcher.lookingAt() && matcher.end() > start) {
                    matches.add(matcher);
                    if (!all) {
                        return;
                    }
                    next = matcher.end();
                }
            }
        }

        /** Windows of {@code maxLength} on both sides of each hit, merged where they overlap or touch. */
        private void inWindows(int slot, Matcher matcher, int maxLength, boolean all, Matches matches) {
            int k = 0;
            while (k < hitCounts[slot]) {
                int from = Math.max(0, end(hits[slot][k]) - maxLength);
                int to = Math.min(text.length(), start(hits[slot][k]) + maxLength);
                k++;
                while (k < hitCounts[slot] && Math.max(0, end(hits[slot][k]) - maxLength) <= to) {
                    from = Math.min(from, Math.max(0, end(hits[slot][k]) - maxLength));
                    to = Math.max(to, Math.min(text.length(), start(hits[slot][k]) + maxLength));
                    k++;
                }
                matcher.region(from, to);
                while (matcher.find()) {
                    if (matcher.end() > matcher.start()) {
                        matches.add(matcher);
                        if (!all) {
                            return;
                        }
                    }
                }
            }
        }

        /** Whether each required literal set of regex {@code r} occurs inside {@code [from, to)}. */
        private boolean allRequiredIn(int r, int from, int to) {
            for (int slot : requiredSlots[r]) {
                if (!occursIn(slot, from, to)) {
                    return false;
                }
            }
            return true;
        }

        private boolean occursIn(int slot, int from, int to) {
            long[] slotHits = hits[slot];
            int k = Arrays.binarySearch(slotHits, 0, hitCounts[slot], (long) from << 32);
            for (k = k < 0 ? -k - 1 : k; k < hitCounts[slot] && start(slotHits[k]) < to; k++) {
                if (end(slotHits[k]) <= to) {
                    return true;
                }
            }
            return false;
        }

        private int rarest(int[] slots) {
            int rarest = slots[0];
            for (int slot : slots) {
                if (hitCounts[slot] < hitCounts[rarest]) {
                    rarest = slot;
                }
            }
            return rarest;
        }
    }

    private static int start(long hit) {
        return (int) (hit >>> 32);
    }

    private static int end(long hit) {
        return (int) hit;
    }
}
