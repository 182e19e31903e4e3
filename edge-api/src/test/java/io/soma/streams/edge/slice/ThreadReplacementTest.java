package io.soma.streams.edge.slice;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadReplacementTest {
    private static final Instant START = Instant.parse("2026-12-06T12:00:00Z");

    @Test
    void shouldReplaceALoneFailureAtOnceAndDoubleThePauseWhileFailuresFollow() {
        ThreadReplacement replacement = new ThreadReplacement("soma-test", Clock.systemUTC());
        List<Long> pauses = new ArrayList<>();
        Instant at = START;
        for (int i = 0; i < 8; i++) {
            Duration pause = replacement.pauseAfterFailureAt(at);
            pauses.add(pause.toSeconds());
            // the next thread fails as soon as it has rebalanced and met the same cause
            at = at.plus(pause).plusSeconds(3);
        }

        assertThat(pauses).containsExactly(0L, 1L, 2L, 4L, 8L, 16L, 30L, 30L);
    }

    @Test
    void shouldStartANewStreakAfterAQuietSpell() {
        ThreadReplacement replacement = new ThreadReplacement("soma-test", Clock.systemUTC());
        replacement.pauseAfterFailureAt(START);
        Duration second = replacement.pauseAfterFailureAt(START.plusSeconds(5));

        Duration afterQuiet = replacement.pauseAfterFailureAt(START.plusSeconds(5).plus(second)
                .plus(ThreadReplacement.LONGEST_PAUSE).plusSeconds(1));

        assertThat(second).isEqualTo(ThreadReplacement.FIRST_PAUSE);
        assertThat(afterQuiet).isZero();
    }

    @Test
    void shouldEndAPauseWhenTheAppCloses() throws Exception {
        ThreadReplacement replacement = new ThreadReplacement("soma-test", Clock.systemUTC());
        Instant now = Instant.now();
        for (int i = 0; i < 7; i++) {
            replacement.pauseAfterFailureAt(now);
        }
        // the next failure pauses 30 s unless the app closes
        CompletableFuture<StreamThreadExceptionResponse> handled = CompletableFuture.supplyAsync(() ->
                replacement.handle(new IllegalStateException("schema registry unavailable")));

        replacement.close();

        assertThat(handled.get(10, TimeUnit.SECONDS)).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }
}
