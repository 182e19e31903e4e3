package io.soma.streams.topologies.policy.rules;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Two guards against catastrophic backtracking. Before a pack is accepted, {@link #problem(String)} refuses
 * backreferences and nested quantifiers (an unbounded quantifier on a group that itself holds a repeating
 * quantifier, like {@code (a+)+} or {@code (\w+\s?)*}). While evaluating, {@link #bounded} makes the matcher
 * give up once a {@link Budget} of character reads is spent; one budget serves every regex rule of an event,
 * so a pattern the static check misses (overlapping alternatives such as {@code (a|aa)+}), or many slow ones
 * together, still cannot hang a stream thread.
 */
public final class RegexGuard {
    /** Longest pattern accepted; long generated alternations belong in substring or keywords rules. */
    public static final int MAX_PATTERN_LENGTH = 2_000;
    /** Flags every policy regex is compiled with: matching is case-insensitive throughout, as for substrings. */
    public static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;

    private RegexGuard() {
    }

    /** Thrown out of {@link Pattern} matching when a text has used up its budget. */
    public static final class BudgetExceeded extends RuntimeException {
        BudgetExceeded() {
            super("regex match budget exceeded", null, false, false);
        }
    }

    /** Character reads left to the matchers of one evaluation; not thread-safe (one evaluation, one thread). */
    public static final class Budget {
        private long readsLeft;

        public Budget(long reads) {
            this.readsLeft = reads;
        }

        void read() {
            if (--readsLeft < 0) {
                throw new BudgetExceeded();
            }
        }
    }

    public static Pattern compile(String regex) {
        return Pattern.compile(regex, FLAGS);
    }

    /** The text, counting reads against {@code budget}; matching throws {@link BudgetExceeded} once it is spent. */
    public static CharSequence bounded(CharSequence text, Budget budget) {
        return new BoundedText(text, budget);
    }

    /** Why the pattern is refused, or empty when it compiles and passes the static check. */
    public static Optional<String> problem(String regex) {
        if (regex.length() > MAX_PATTERN_LENGTH) {
            return Optional.of("regex longer than " + MAX_PATTERN_LENGTH + " characters");
        }
        try {
            compile(regex);
        } catch (IllegalArgumentException e) {
            return Optional.of("regex does not compile: " + e.getMessage().lines().findFirst().orElse(""));
        }
        return new Scan(regex).run();
    }

    /** A single pass over the pattern that tracks, per open group, whether its content repeats. */
    private static final class Scan {
        private final String regex;
        private int i;

        Scan(String regex) {
            this.regex = regex;
        }

        Optional<String> run() {
            Deque<boolean[]> groups = new ArrayDeque<>();
            groups.push(new boolean[]{false});
            while (i < regex.length()) {
                char c = regex.charAt(i);
                boolean innerRepeats = false;
                if (c == '\\') {
                    if (backreferenceAt()) {
                        return Optional.of("backreferences are not allowed (position " + i + ")");
                    }
                    skipEscape();
                } else if (c == '[') {
                    skipClass();
                } else if (c == '(') {
                    i++;
                    groups.push(new boolean[]{false});
                    continue;
                } else if (c == ')' && groups.size() > 1) {
                    i++;
                    innerRepeats = groups.pop()[0];
                } else {
                    i++;
                }
                Quantifier q = quantifier();
                if (q.unbounded() && innerRepeats) {
                    return Optional.of("nested quantifier before position " + i
                            + ": a repeated group must not itself contain a repeating quantifier");
                }
                groups.peek()[0] |= innerRepeats || q.repeats();
            }
            return Optional.empty();
        }

        private boolean backreferenceAt() {
            char next = i + 1 < regex.length() ? regex.charAt(i + 1) : ' ';
            return (next >= '1' && next <= '9') || next == 'k';
        }

        private void skipEscape() {
            if (i + 1 < regex.length() && regex.charAt(i + 1) == 'Q') {
                int end = regex.indexOf("\\E", i + 2);
                i = end < 0 ? regex.length() : end + 2;
            } else {
                i += 2;
            }
        }

        private void skipClass() {
            int depth = 0;
            while (i < regex.length()) {
                char c = regex.charAt(i);
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                i++;
                if (c == '[') {
                    depth++;
                } else if (c == ']' && --depth == 0) {
                    return;
                }
            }
        }

        private record Quantifier(boolean unbounded, boolean repeats) {
        }

        /** Reads the quantifier at the cursor, if any, and moves past it and its lazy/possessive suffix. */
        private Quantifier quantifier() {
            Quantifier q = new Quantifier(false, false);
            if (i >= regex.length()) {
                return q;
            }
            char c = regex.charAt(i);
            if (c == '*' || c == '+') {
                i++;
                q = new Quantifier(true, true);
            } else if (c == '?') {
                i++;
            } else if (c == '{') {
                int close = regex.indexOf('}', i);
                String body = close < 0 ? "" : regex.substring(i + 1, close);
                if (!body.matches("\\d+(,\\d*)?")) {
                    return q;
                }
                i = close + 1;
                String[] bounds = body.split(",", -1);
                boolean unbounded = bounds.length == 2 && bounds[1].isEmpty();
                boolean repeats = unbounded || Long.parseLong(bounds[bounds.length - 1]) > 1;
                q = new Quantifier(unbounded, repeats);
            } else {
                return q;
            }
            if (i < regex.length() && (regex.charAt(i) == '?' || regex.charAt(i) == '+')) {
                i++;
            }
            return q;
        }
    }

    private record BoundedText(CharSequence text, Budget budget) implements CharSequence {
        @Override
        public char charAt(int index) {
            budget.read();
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new BoundedText(text.subSequence(start, end), budget);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }
}
