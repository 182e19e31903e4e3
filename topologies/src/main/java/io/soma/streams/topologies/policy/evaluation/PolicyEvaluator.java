package io.soma.streams.topologies.policy.evaluation;

import io.soma.streams.topologies.policy.detectors.Detection;
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
import java.util.List;
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
        final List<MatchSpan> spans = new ArrayList<>();

        void add(int start, int end, String label, boolean keepAll) {
            if (start < firstStart || (start == firstStart && end > firstEnd)) {
                firstStart = start;
                firstEnd = end;
                firstLabel = label;
            }
            if (keepAll) {
                spans.add(new MatchSpan(start, end, label));
            }
        }

        /** Every match kept, or the first one alone. */
        List<MatchSpan> reported() {
            return spans.isEmpty() ? List.of(new MatchSpan(firstStart, firstEnd, firstLabel)) : spans;
        }
    }

    /** The rules that matched, by canonical index: violations come out in canonical order. */
    private static final class MatchedRules {
        private final Hits[] byRule;
        private int[] matched = new int[8];
        private int count;

        MatchedRules(int ruleCount) {
            byRule = new Hits[ruleCount];
        }

        /** The rule's hits, new and empty on the first call. */
        Hits of(int rule) {
            if (byRule[rule] == null) {
                put(rule, new Hits());
            }
            return byRule[rule];
        }

        void put(int rule, Hits hits) {
            if (byRule[rule] == null) {
                if (count == matched.length) {
                    matched = Arrays.copyOf(matched, count * 2);
                }
                matched[count++] = rule;
            }
            byRule[rule] = hits;
        }

        int[] inCanonicalOrder() {
            int[] ordered = Arrays.copyOf(matched, count);
            Arrays.sort(ordered);
            return ordered;
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
        MatchedRules hits = new MatchedRules(rules.size());
        if (policy.automaton() != null) {
            policy.automaton().parseText(CompiledPolicy.lowerCase(text), (start, end, needles) -> {
                for (Needle needle : needles) {
                    Rule rule = rules.get(needle.rule()).rule();
                    if (onWordBoundaries(text, start, end, needle.kind()) && rule.appliesTo(input.role(), input.tool())) {
                        hits.of(needle.rule()).add(start, end, rule.name(), rule.action() == Action.REDACT);
                    }
                }
            });
        }
        RegexGuard.Budget budget = new RegexGuard.Budget(policy.limits().regexReads());
        List<String> unfinished = new ArrayList<>();
        int[] regexRules = policy.regexRules();
        RegexPrefilter.Scan literals = policy.scansLiterals() ? policy.regexPrefilter().scan(text) : null;
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
                matchRegex(literals, r, compiled.rule().name(), redacts, budget).ifPresent(h -> hits.put(i, h));
            } catch (RegexGuard.BudgetExceeded e) {
                unfinished.add(compiled.rule().name());
            }
        }
        // detectors are linear scans with validation, outside the regex budget: each runs when its trigger holds,
        // trying its candidate regexes only where the scan found their literals
        TextSignals signals = policy.signalTriggers() ? TextSignals.of(text) : null;
        for (int i : policy.detectorRules()) {
            CompiledRule compiled = rules.get(i);
            if (compiled.rule().appliesTo(input.role(), input.tool())) {
                List<Detection> found = compiled.detectors().find(text,
                        type -> policy.triggered(type, literals, signals), literals);
                if (!found.isEmpty()) {
                    Hits h = hits.of(i);
                    found.forEach(d -> h.add(d.start(), d.end(), d.type(), true));
                }
            }
        }
        return decide(text, rules, hits, policy.applicableRuleCount(input.role(), input.tool()), unfinished);
    }

    private static boolean onWordBoundaries(String text, int start, int end, CompiledPolicy.NeedleKind kind) {
        return switch (kind) {
            case SUBSTRING -> true;
            case WORD_PREFIX -> start == 0 || !Keywords.isWordChar(text.charAt(start - 1));
            case WHOLE_WORD -> (start == 0 || !Keywords.isWordChar(text.charAt(start - 1)))
                    && (end == text.length() || !Keywords.isWordChar(text.charAt(end)));
        };
    }

    /** @throws RegexGuard.BudgetExceeded when the event's budget runs out during this rule */
    private static Optional<Hits> matchRegex(RegexPrefilter.Scan literals, int regex, String label, boolean keepAll,
                                             RegexGuard.Budget budget) {
        Hits found = new Hits();
        literals.find(regex, budget, keepAll, m -> found.add(m.start(), m.end(), label, keepAll));
        return found.firstStart == Integer.MAX_VALUE ? Optional.empty() : Optional.of(found);
    }

    private static Evaluation decide(String text, List<CompiledRule> rules, MatchedRules hits, int rulesEvaluated,
                                     List<String> unfinished) {
        int[] matched = hits.inCanonicalOrder();
        List<Violation> violations = new ArrayList<>(matched.length);
        List<MatchSpan> redactions = new ArrayList<>();
        for (int i : matched) {
            if (rules.get(i).rule().action() == Action.REDACT) {
                redactions.addAll(hits.of(i).spans);
            }
        }
        double totalWeight = 0;
        Action strongest = null;
        for (int i : matched) {
            CompiledRule compiled = rules.get(i);
            Rule rule = compiled.rule();
            Hits h = hits.of(i);
            violations.add(new Violation(rule.name(), rule.pattern(), rule.weight(), rule.severity(), rule.action(),
                    rule.description(), excerpt(text, h.firstStart, h.firstEnd, redactions), compiled.origin(),
                    h.reported()));
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
        String reason = null;
        if (!unfinished.isEmpty()) {
            // fail closed: an unfinished rule might have denied; a deny already found stands
            decision = decision == Decision.DENY ? Decision.DENY : Decision.REVIEW;
            reason = Evaluation.BUDGET_EXCEEDED;
        }
        String redacted = decision == Decision.REDACT ? redact(text, redactions) : null;
        return new Evaluation(decision, decision.allowed(), score, Severity.ofScore(score), violations, redacted,
                rulesEvaluated, reason, unfinished);
    }

    /** Rounds half-even on the exact binary value, as Python's {@code round(x, 6)} does (clients rely on it). */
    static double round6(double value) {
        return new BigDecimal(value).setScale(6, RoundingMode.HALF_EVEN).doubleValue();
    }

    /**
     * The text around a match, with every redact match inside it replaced as in the redacted text: an excerpt
     * (of any rule, whatever the decision) never carries what a redact rule matched.
     */
    static String excerpt(String text, int start, int end, List<MatchSpan> redactions) {
        int from = Math.max(0, start - EXCERPT_CONTEXT);
        int to = Math.min(text.length(), end + EXCERPT_CONTEXT);
        if (from > 0 && Character.isLowSurrogate(text.charAt(from))) {
            from++;
        }
        if (to < text.length() && Character.isLowSurrogate(text.charAt(to))) {
            to--;
        }
        List<MatchSpan> inWindow = new ArrayList<>();
        for (MatchSpan r : redactions) {
            if (r.end() > from && r.start() < to) {
                inWindow.add(new MatchSpan(Math.max(r.start(), from) - from, Math.min(r.end(), to) - from, r.label()));
            }
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
