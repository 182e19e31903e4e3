package io.soma.streams.topologies.policy.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * One evaluation's redact matches, to find those overlapping an excerpt's window: sorted by start under a tree of
 * their greatest ends, a window costs the matches it overlaps times a logarithm, not a pass over all of them (one
 * pass per violation made a text with many matches cost violations × matches).
 */
final class RedactionIndex {
    private final MatchSpan[] byStart;
    /** Greatest end under each node of a complete binary tree whose leaves are {@link #byStart}; root at 1. */
    private final int[] maxEnd;
    private final int leaves;

    RedactionIndex(List<MatchSpan> redactions) {
        byStart = redactions.toArray(MatchSpan[]::new);
        Arrays.sort(byStart, Comparator.comparingInt(MatchSpan::start));
        int size = 1;
        while (size < byStart.length) {
            size <<= 1;
        }
        leaves = size;
        maxEnd = new int[2 * size];
        Arrays.fill(maxEnd, Integer.MIN_VALUE);
        for (int i = 0; i < byStart.length; i++) {
            maxEnd[size + i] = byStart[i].end();
        }
        for (int node = size - 1; node >= 1; node--) {
            maxEnd[node] = Math.max(maxEnd[2 * node], maxEnd[2 * node + 1]);
        }
    }

    boolean isEmpty() {
        return byStart.length == 0;
    }

    /** The matches with {@code start < to} and {@code end > from}, by start. */
    List<MatchSpan> overlapping(int from, int to) {
        int before = firstStartingAtOrAfter(to);
        List<MatchSpan> out = new ArrayList<>();
        collect(1, 0, leaves, before, from, out);
        return out;
    }

    private void collect(int node, int lo, int hi, int before, int from, List<MatchSpan> out) {
        if (lo >= before || maxEnd[node] <= from) {
            return;
        }
        if (hi - lo == 1) {
            out.add(byStart[lo]);
            return;
        }
        int mid = (lo + hi) >>> 1;
        collect(2 * node, lo, mid, before, from, out);
        collect(2 * node + 1, mid, hi, before, from, out);
    }

    private int firstStartingAtOrAfter(int position) {
        int lo = 0;
        int hi = byStart.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (byStart[mid].start() < position) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
