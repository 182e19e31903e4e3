package io.soma.streams.topologies.replay;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayPlanTest {
    private static List<ReplayPlan.Scheduled> trace;

    @BeforeAll
    static void readTheDatasets() {
        trace = ReplayPlan.build(TestPaths.dataDir(), Instant.EPOCH);
    }

    @Test
    void shouldReplayEachRunAsNewTrafficAtItsOwnStart() {
        Instant first = Instant.parse("2026-12-05T00:00:00Z");
        Instant second = Instant.parse("2026-12-05T01:00:00Z");

        List<ReplayPlan.Scheduled> one = ReplayPlan.asRun(trace, "run1", first);
        List<ReplayPlan.Scheduled> two = ReplayPlan.asRun(trace, "run2", second);

        assertThat(one).hasSameSizeAs(trace).hasSameSizeAs(two);
        Set<String> ids = new HashSet<>();
        one.forEach(s -> ids.add(s.event().getEventId()));
        assertThat(ids).as("event ids within a run stay unique").hasSameSizeAs(trace);
        // the set's own lookup: AssertJ's doesNotContain compares against every element (minutes for this trace)
        assertThat(two.stream().map(s -> s.event().getEventId()).filter(ids::contains))
                .as("a second run reuses no event id").isEmpty();
        for (int i = 0; i < trace.size(); i++) {
            ConversationEvent original = trace.get(i).event();
            ConversationEvent replayed = two.get(i).event();
            assertThat(replayed.getEventId()).isEqualTo("run2-" + original.getEventId());
            assertThat(replayed.getSessionId()).isEqualTo("run2-" + original.getSessionId());
            // timestamp-millis: the record keeps milliseconds
            assertThat(replayed.getTimestamp()).isEqualTo(second.plus(trace.get(i).at()).truncatedTo(ChronoUnit.MILLIS));
            assertThat(replayed.getContent()).isEqualTo(original.getContent());
            assertThat(replayed.getTenant()).isEqualTo(original.getTenant());
        }
    }
}
