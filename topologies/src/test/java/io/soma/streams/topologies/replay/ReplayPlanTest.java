package io.soma.streams.topologies.replay;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
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

    /**
     * Slower than real time, a trace placed to end as the replay does started in the future: at 0.25x the first
     * 38 minutes of the Azure trace were over the broker's one hour ahead, and refused.
     */
    @Test
    void shouldPlaceTheTraceSoThatNoEventIsSentBeforeItsTime() {
        Instant now = Instant.parse("2026-12-05T00:00:00Z");
        Duration span = trace.get(trace.size() - 1).at();
        for (double speed : new double[] {0.25, 1, 60}) {
            Instant start = ReplayPlan.start(now, span, speed);
            for (ReplayPlan.Scheduled s : List.of(trace.get(0), trace.get(trace.size() / 2), trace.get(trace.size() - 1))) {
                Instant sent = now.plusNanos((long) (s.at().toNanos() / speed));
                assertThat(start.plus(s.at())).as("event time at %sx", speed).isBeforeOrEqualTo(sent);
            }
        }
        // faster than real time, the trace still ends as the replay does
        assertThat(ReplayPlan.start(now, span, 60).plus(span)).isEqualTo(now.plusNanos(span.toNanos() / 60));
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
