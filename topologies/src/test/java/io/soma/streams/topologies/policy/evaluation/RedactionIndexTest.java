package io.soma.streams.topologies.policy.evaluation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionIndexTest {

    /** The index finds exactly what a pass over every match finds, long matches from far before the window too. */
    @Test
    void shouldFindTheMatchesOverlappingAWindowAsAFullPassDoes() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<MatchSpan> spans = new ArrayList<>();
            int count = random.nextInt(300);
            for (int i = 0; i < count; i++) {
                int start = random.nextInt(1_000);
                int length = 1 + (random.nextInt(10) == 0 ? random.nextInt(900) : random.nextInt(12));
                spans.add(new MatchSpan(start, start + length, "r" + i));
            }
            RedactionIndex index = new RedactionIndex(spans);
            for (int w = 0; w < 20; w++) {
                int from = random.nextInt(1_000);
                int to = from + 1 + random.nextInt(120);
                List<MatchSpan> expected = spans.stream().filter(s -> s.end() > from && s.start() < to).toList();
                assertThat(index.overlapping(from, to)).containsExactlyInAnyOrderElementsOf(expected);
            }
        }
        assertThat(new RedactionIndex(List.of()).overlapping(0, 10)).isEmpty();
    }
}
