package io.soma.streams.testkit;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AwaitTest {

    @Test
    void shouldReturnTheFirstValueThatIsDone() {
        AtomicInteger polls = new AtomicInteger();
        assertThat(Await.value("the third poll", Duration.ofSeconds(10), polls::incrementAndGet, n -> n >= 3))
                .isEqualTo(3);
    }

    @Test
    void shouldRetryAProbeThatThrowsUntilItAnswers() {
        AtomicInteger polls = new AtomicInteger();
        String answer = Await.value("a store that restores", Duration.ofSeconds(10), () -> {
            if (polls.incrementAndGet() < 3) {
                throw new IllegalStateException("still restoring");
            }
            return "ready";
        }, "ready"::equals);
        assertThat(answer).isEqualTo("ready");
    }

    @Test
    void shouldFailWithWhatItWaitedForAndTheLastValueSeen() {
        assertThatThrownBy(() -> Await.value("seven records", Duration.ofMillis(200), () -> 4, n -> n == 7))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("waiting for seven records").hasMessageContaining("last seen: 4");
    }

    @Test
    void shouldReportTheLastFailureOfAProbeThatNeverAnswers() {
        assertThatThrownBy(() -> Await.until("a server", Duration.ofMillis(200), () -> {
            throw new IllegalStateException("connection refused");
        })).isInstanceOf(AssertionError.class).hasMessageContaining("connection refused")
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldStopAtOnceWhenTheProbeAsserts() {
        AtomicInteger polls = new AtomicInteger();
        assertThatThrownBy(() -> Await.until("an app", Duration.ofSeconds(10), () -> {
            polls.incrementAndGet();
            throw new AssertionError("the app died");
        })).hasMessage("the app died");
        assertThat(polls).hasValue(1);
    }
}
