package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.detectors.CandidateMatches;
import io.soma.streams.topologies.policy.detectors.Detection;
import io.soma.streams.topologies.policy.detectors.DetectorSelection;
import io.soma.streams.topologies.policy.detectors.DetectorType;
import io.soma.streams.topologies.policy.detectors.TextSignals;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy.CompiledRule;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy.Needle;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.Keywords;
import io.soma.streams.topologies.policy.rules.RegexGuard;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.Severity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The policy as a pure function of (text, role, tool, capsule standing, compiled policy): the streaming app and
 * {@code POST /v1/evaluate} both call {@link #evaluate}, so they cannot disagree, also on the
 * {@link EvaluationLimits} the compiled policy carries.
 */
public final class PolicyEvaluator {
    /** Characters of context kept on each side of the first match in a violation's excerpt. */
    public static final int EXCERPT_CONTEXT = 40;

    private PolicyEvaluator() {
    }

    /** Where one rule matched: its first match, and every match when it redacts or is a detector. */
    private static final class Hits {
        int firstStart = Integer.MAX_VALUE;
        int firstEnd;
        String firstLabel;
        /** Every match, for a rule that keeps them all; null until the first. */
        List<MatchSpan> spans;

        void add(int start, int end, String label, boolean keepAll) {
            if (start < firstStart || (start == firstStart && end > firstEnd)) {
                firstStart = start;
                firstEnd = end;
                firstLabel = label;
            }
            if (keepAll) {
                if (spans == null) {
                    spans = new ArrayList<>();
                }
                spans.add(new MatchSpan(start, end, label));
            }
        }

        /** Every match kept, or the first one alone. */
        List<MatchSpan> reported() {
            return spans == null ? List.of(new MatchSpan(firstStart, firstEnd, firstLabel)) : spans;
        }
    }

    /**
     * The rules that matched with their hits, in the order they first matched until {@link #sortCanonically()}.
     * A text matches few rules of a pack, so a rule's position is found in a small open-addressing table that grows
     * with them, not in an array as long as the pack, which every evaluation would allocate and clear.
     */
    private static final class MatchedRules {
        /** Canonical index + 1 of the rule in each slot, 0 for an empty one; {@link #positions} beside it. */
        private int[] keys = new int[16];
        private int[] positions = new int[16];
        private int[] rules = new int[8];
        private Hits[] hits = new Hits[8];
        private int count;

        /** The rule's hits, new and empty on the first call. */
        Hits of(int rule) {
            int slot = slot(rule);
            return keys[slot] == 0 ? insert(slot, rule, new Hits()) : hits[positions[slot]];
        }

        /** Records the hits of a rule that has none yet. */
        void put(int rule, Hits found) {
            insert(slot(rule), rule, found);
        }

        private int slot(int rule) {
            int mask = keys.length - 1;
            int slot = (rule * 0x9E3779B9 >>> 16) & mask;
            while (keys[slot] != 0 && keys[slot] != rule + 1) {
                slot = (slot + 1) & mask;
            }
            return slot;
        }

        private Hits insert(int slot, int rule, Hits found) {
            if (count == rules.length) {
                rules = Arrays.copyOf(rules, count * 2);
                hits = Arrays.copyOf(hits, count * 2);
            }
            keys[slot] = rule + 1;
            positions[slot] = count;
            rules[count] = rule;
            hits[count++] = found;
            if (count * 2 > keys.length) {
                keys = new int[keys.length * 2];
                positions = new int[keys.length];
                for (int p = 0; p < count; p++) {
                    int to = slot(rules[p]);
                    keys[to] = rules[p] + 1;
                    positions[to] = p;
                }
            }
            return found;
        }

        /** Orders the matched rules by canonical index, as violations are reported; no lookup works after it. */
        void sortCanonically() {
            long[] packed = new long[count];
            for (int p = 0; p < count; p++) {
                packed[p] = (long) rules[p] << 32 | p;
            }
            Arrays.sort(packed);
            int[] sortedRules = new int[count];
            Hits[] sortedHits = new Hits[count];
            for (int p = 0; p < count; p++) {
                int from = (int) packed[p];
                sortedRules[p] = rules[from];
                sortedHits[p] = hits[from];
            }
            rules = sortedRules;
            hits = sortedHits;
            keys = null;
        }

        int count() {
            return count;
        }

        int rule(int position) {
            return rules[position];
        }

        Hits hits(int position) {
            return hits[position];
        }
    }

    public static Evaluation evaluate(EvaluationInput input, CompiledPolicy policy) {
        // first: what an unapproved capsule says is denied whatever it says, text or none
        if (input.capsule() != null && !input.capsule().approved()) {
            return Evaluation.capsuleNotApproved();
        }
        String text = input.text();
        if (text == null || text.isEmpty()) {
            return Evaluation.withoutText();
        }
        // never a prefix: what lies past it would go unchecked
        if (text.length() > policy.limits().maxTextChars()) {
            return Evaluation.textTooLarge();
        }
        List<CompiledRule> rules = policy.rules();
        MatchedRules hits = new MatchedRules();
        List<String> unfinished = new ArrayList<>();
        // what a rule found before the budget ran out stands: a deny found stays a deny
        MatchBudget matches = new MatchBudget(policy.limits().matches());
        try {
            findLiterals(input, policy, hits, matches);
        } catch (MatchBudget.Spent e) {
            addApplicable(unfinished, policy.literalRules(), input, rules);
        }
        boolean scanned = unfinished.isEmpty();
        RegexPrefilter.Scan literals = null;
        if (scanned && policy.scansLiterals()) {
            try {
                literals = policy.regexPrefilter().scan(text, matches);
            } catch (MatchBudget.Spent e) {
                scanned = false;
            }
        }
        if (scanned) {
            matchRegexRules(input, policy, literals, hits, matches, unfinished);
            matchDetectorRules(input, policy, literals, hits, matches, unfinished);
        } else {
            // without every literal found, the regex and detector rules cannot be run where their literals are
            addApplicable(unfinished, policy.regexRules(), input, rules);
            addApplicable(unfinished, policy.detectorRules(), input, rules);
        }
        return decide(text, rules, hits, policy.applicableRuleCount(input.role(), input.tool()), unfinished,
                policy.packNotApplied());
    }

    /** The literal rules' matches, from one automaton scan; every rule a found needle belongs to is spent. */
    private static void findLiterals(EvaluationInput input, CompiledPolicy policy, MatchedRules hits,
                                     MatchBudget matches) {
        if (policy.automaton() == null) {
            return;
        }
        String text = input.text();
        policy.automaton().parseText(CompiledPolicy.lowerCase(text), (start, end, needles) -> {
            matches.spend(needles.length);
            for (Needle needle : needles) {
                Rule rule = needle.definition();
                if (onWordBoundaries(text, start, end, needle.kind()) && rule.appliesTo(input.role(), input.tool())) {
                    // a prefix matches the whole word it starts: redacting the stem alone would leave the rest
                    int matchEnd = needle.kind() == CompiledPolicy.NeedleKind.WORD_PREFIX ? wordEnd(text, end) : end;
                    hits.of(needle.rule()).add(start, matchEnd, rule.name(), rule.action() == Action.REDACT);
                }
            }
        });
    }

    /** Once one rule cannot finish, it and every later regex rule are named unfinished. */
    private static void matchRegexRules(EvaluationInput input, CompiledPolicy policy, RegexPrefilter.Scan literals,
                                        MatchedRules hits, MatchBudget matches, List<String> unfinished) {
        RegexGuard.Budget budget = new RegexGuard.Budget(policy.limits().regexReads());
        List<CompiledRule> rules = policy.rules();
        int[] regexRules = policy.regexRules();
        for (int r = 0; r < regexRules.length; r++) {
            int i = regexRules[r];
            CompiledRule compiled = rules.get(i);
            if (!compiled.rule().appliesTo(input.role(), input.tool())) {
                continue;
            }
            if (!unfinished.isEmpty()) {
                unfinished.add(compiled.rule().name());
                continue;
            }
            try {
                boolean redacts = compiled.rule().action() == Action.REDACT;
                matchRegex(literals, r, compiled.rule().name(), redacts, budget, matches)
                        .ifPresent(h -> hits.put(i, h));
            } catch (RegexGuard.BudgetExceeded | MatchBudget.Spent | StackOverflowError e) {
                // java.util.regex recurses once per repetition of some groups: a long enough text overflows the
                // stack whatever the read budget; uncaught, the Error would end the stream thread on every retry
                unfinished.add(compiled.rule().name());
            }
        }
    }

    /**
     * Each detector runs when its trigger holds, trying its candidate regexes only where the scan found their
     * literals; those regexes read against a budget of the same size as the regex rules', but their own, so that
     * neither kind can starve the other (the detectors' other work is linear by construction, and each type runs once
     * per text however many rules select it).
     */
    private static void matchDetectorRules(EvaluationInput input, CompiledPolicy policy, RegexPrefilter.Scan literals,
                                           MatchedRules hits, MatchBudget matches, List<String> unfinished) {
        if (policy.detectorRules().length == 0) {
            return;
        }
        String text = input.text();
        List<CompiledRule> rules = policy.rules();
        TextSignals signals = policy.signalTriggers() ? TextSignals.of(text) : null;
        CandidateMatches candidates = literals == null ? null
                : literals.within(new RegexGuard.Budget(policy.limits().regexReads()));
        Map<DetectorType, List<Detection>> scanned = new HashMap<>();
        boolean budgetSpent = false;
        for (int i : policy.detectorRules()) {
            CompiledRule compiled = rules.get(i);
            if (!compiled.rule().appliesTo(input.role(), input.tool())) {
                continue;
            }
            if (budgetSpent) {
                unfinished.add(compiled.rule().name());
                continue;
            }
            // what the rule's earlier types found stands when a later one spends the budget: a deny stays a deny
            List<Detection> found = new ArrayList<>();
            try {
                compiled.detectors().findInto(found, text, type -> policy.triggered(type, literals, signals),
                        candidates, scanned);
            } catch (RegexGuard.BudgetExceeded | StackOverflowError e) {
                budgetSpent = true;
                unfinished.add(compiled.rule().name());
            }
            if (found.isEmpty()) {
                continue;
            }
            DetectorSelection.sort(found);
            Hits h = hits.of(i);
            try {
                matches.spend(found.size());
                found.forEach(d -> h.add(d.start(), d.end(), d.type(), true));
            } catch (MatchBudget.Spent e) {
                // the rule matched, and stands on its first match; what it would mask is not known in full
                Detection first = found.get(0);
                h.add(first.start(), first.end(), first.type(), false);
                if (!budgetSpent) {
                    budgetSpent = true;
                    unfinished.add(compiled.rule().name());
                }
            }
        }
    }

    private static void addApplicable(List<String> unfinished, int[] ruleIndices, EvaluationInput input,
                                      List<CompiledRule> rules) {
        for (int i : ruleIndices) {
            Rule rule = rules.get(i).rule();
            if (rule.appliesTo(input.role(), input.tool())) {
                unfinished.add(rule.name());
            }
        }
    }

    /** By code point: a letter or digit beyond the BMP is two chars, neither of them a letter on its own. */
    private static boolean onWordBoundaries(String text, int start, int end, CompiledPolicy.NeedleKind kind) {
        return switch (kind) {
            case SUBSTRING -> true;
            case WORD_PREFIX -> start == 0 || !Keywords.isWordChar(text.codePointBefore(start));
            case WHOLE_WORD -> (start == 0 || !Keywords.isWordChar(text.codePointBefore(start)))
                    && (end == text.length() || !Keywords.isWordChar(text.codePointAt(end)));
        };
    }

    private static int wordEnd(String text, int from) {
        int end = from;
        while (end < text.length()) {
            int c = text.codePointAt(end);
            if (!Keywords.isWordChar(c)) {
                break;
            }
            end += Character.charCount(c);
        }
        return end;
    }

    /**
     * @throws RegexGuard.BudgetExceeded when the event's read budget runs out during this rule
     * @throws MatchBudget.Spent         when the matches it keeps spend the event's match budget
     */
    private static Optional<Hits> matchRegex(RegexPrefilter.Scan literals, int regex, String label, boolean keepAll,
                                             RegexGuard.Budget budget, MatchBudget matches) {
        Hits found = new Hits();
        literals.find(regex, budget, keepAll, m -> {
            if (keepAll) {
                matches.spend(1);
            }
            found.add(m.start(), m.end(), label, keepAll);
        });
        return found.firstStart == Integer.MAX_VALUE ? Optional.empty() : Optional.of(found);
    }

    private static Evaluation decide(String text, List<CompiledRule> rules, MatchedRules hits, int rulesEvaluated,
                                     List<String> unfinished, boolean packNotApplied) {
        hits.sortCanonically();
        int count = hits.count();
        CompiledRule[] matched = new CompiledRule[count];
        List<MatchSpan> redactions = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            matched[p] = rules.get(hits.rule(p));
            List<MatchSpan> spans = hits.hits(p).spans;
            if (matched[p].rule().action() == Action.REDACT && spans != null) {
                redactions.addAll(spans);
            }
        }
        Violation[] violations = new Violation[count];
        // a rule that did not finish, or one of a pack not applied, may be a redact rule whose matches would have
        // been masked: no excerpt is shown
        boolean masksKnown = unfinished.isEmpty() && !packNotApplied;
        RedactionIndex masks = masksKnown && count > 0 ? new RedactionIndex(redactions) : null;
        double totalWeight = 0;
        Action strongest = null;
        for (int p = 0; p < count; p++) {
            Rule rule = matched[p].rule();
            Hits h = hits.hits(p);
            violations[p] = new Violation(rule.name(), rule.pattern(), rule.weight(), rule.severity(), rule.action(),
                    rule.description(), masksKnown ? excerpt(text, h.firstStart, h.firstEnd, masks) : null,
                    matched[p].origin(),
                    h.reported());
            totalWeight += rule.weight();
            if (strongest == null || rule.action().ordinal() < strongest.ordinal()) {
                strongest = rule.action();
            }
        }
        double score = round6(Math.max(0, 1 - totalWeight));
        Decision decision = strongest == null ? Decision.ALLOW : switch (strongest) {
            case DENY -> Decision.DENY;
            case REDACT -> Decision.REDACT;
            case REVIEW -> Decision.REVIEW;
            case LOG -> Decision.ALLOW;
        };
        // fail closed: an unfinished rule, or a rule of the pack not applied, might have denied; a deny already
        // found stands
        String reason = !unfinished.isEmpty() ? Evaluation.BUDGET_EXCEEDED
                : packNotApplied ? Evaluation.RULEPACK_NOT_APPLIED : null;
        if (reason != null) {
            decision = decision == Decision.DENY ? Decision.DENY : Decision.REVIEW;
        }
        String redacted = decision == Decision.REDACT ? redact(text, redactions) : null;
        return new Evaluation(decision, decision.allowed(), score, Severity.ofScore(score), List.of(violations),
                redacted, rulesEvaluated, reason, unfinished);
    }

    /** Rounds half-even on the exact binary value, as Python's {@code round(x, 6)} does (clients rely on it). */
    static double round6(double value) {
        double scaled = value * 1e6;
        double nearest = Math.rint(scaled);
        // value × 10^6 in doubles is off by at most half an ulp of it; unless that leaves the result within 2^-20
        // of a tie, its nearest integer is that of the exact value, and n / 10^6 (both exact doubles, n < 2^53) is
        // the double nearest to the decimal, as BigDecimal.doubleValue gives. Below 2^30 half an ulp is at most
        // 2^-23 (scores lie in [0, 1]). Near a tie, or for large values, the exact decimal arithmetic decides.
        if (Math.abs(scaled) < 0x1p30 && Math.abs(Math.abs(scaled - nearest) - 0.5) > 0x1p-20) {
            return nearest / 1e6;
        }
        return new BigDecimal(value).setScale(6, RoundingMode.HALF_EVEN).doubleValue();
    }

    /**
     * The text around a match, with every redact match inside it replaced as in the redacted text: an excerpt
     * (of any rule, whatever the decision) never carries what a redact rule matched.
     */
    static String excerpt(String text, int start, int end, RedactionIndex redactions) {
        int from = Math.max(0, start - EXCERPT_CONTEXT);
        int to = Math.min(text.length(), end + EXCERPT_CONTEXT);
        if (from > 0 && Character.isLowSurrogate(text.charAt(from))) {
            from++;
        }
        if (to < text.length() && Character.isLowSurrogate(text.charAt(to))) {
            to--;
        }
        if (redactions.isEmpty()) {
            return text.substring(from, to);
        }
        List<MatchSpan> inWindow = new ArrayList<>();
        for (MatchSpan r : redactions.overlapping(from, to)) {
            inWindow.add(new MatchSpan(Math.max(r.start(), from) - from, Math.min(r.end(), to) - from, r.label()));
        }
        return redact(text.substring(from, to), inWindow);
    }

    /**
     * Replaces every redact match by {@code [REDACTED:<label>]} (the rule's name, or a detector's type).
     * Overlapping matches merge into one replaced region, labelled with the match that starts first (the longer
     * one on a tie, then the label).
     */
    static String redact(String text, List<MatchSpan> redactions) {
        redactions.sort(Comparator.comparingInt(MatchSpan::start)
                .thenComparing(Comparator.comparingInt(MatchSpan::end).reversed())
                .thenComparing(MatchSpan::label));
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        int i = 0;
        while (i < redactions.size()) {
            MatchSpan first = redactions.get(i);
            int regionEnd = first.end();
            i++;
            while (i < redactions.size() && redactions.get(i).start() < regionEnd) {
                regionEnd = Math.max(regionEnd, redactions.get(i).end());
                i++;
            }
            out.append(text, copied, first.start()).append("[REDACTED:").append(first.label()).append(']');
            copied = regionEnd;
        }
        return out.append(text, copied, text.length()).toString();
    }
}
