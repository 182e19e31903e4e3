package io.soma.streams.topologies.training;

import io.soma.streams.topologies.runtime.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings the processor could not run with are refused when they are read, not in every task's {@code init}. */
class TrainingAppConfigTest {

    @Test
    void shouldRefuseAnExpiryCheckThePunctuatorCannotBeScheduledAt() {
        assertThatThrownBy(() -> TrainingApp.Config.from(Settings.of(Map.of("training.expiry.check", "PT0S"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("training.expiry.check");
    }

    @Test
    void shouldRefuseADefaultLockLongerThanTheLongest() {
        assertThatThrownBy(() -> new TrainingApp.Config(Duration.ofDays(8), Duration.ofDays(7), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max TTL");
    }
}
