package io.soma.streams.topologies.slm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SlmScoreTest {

    @Test
    void shouldRewardLatencyUpToTwiceTheTarget() {
        assertThat(SlmScore.latencyComponent(1500)).isEqualTo(1.0);
        assertThat(SlmScore.latencyComponent(3000)).isEqualTo(0.5);
        assertThat(SlmScore.latencyComponent(500)).isEqualTo(2.0);
        assertThat(SlmScore.latencyComponent(0)).isEqualTo(2.0);
    }

    @Test
    void shouldRewardThroughputUpToTwiceFiftyRequestsPerSecond() {
        assertThat(SlmScore.throughputComponent(25)).isEqualTo(0.5);
        assertThat(SlmScore.throughputComponent(50)).isEqualTo(1.0);
        assertThat(SlmScore.throughputComponent(400)).isEqualTo(2.0);
        assertThat(SlmScore.throughputComponent(0)).isZero();
    }

    @Test
    void shouldSpendTheErrorBudgetOfTwoPercent() {
        assertThat(SlmScore.errorComponent(0)).isEqualTo(1.0);
        assertThat(SlmScore.errorComponent(0.01)).isEqualTo(0.5);
        assertThat(SlmScore.errorComponent(0.02)).isZero();
        assertThat(SlmScore.errorComponent(0.867)).isZero();
    }

    @Test
    void shouldAverageTheThreeComponents() {
        assertThat(SlmScore.score(3000.0, 25, 0.01)).isCloseTo((0.5 + 0.5 + 0.5) / 3, within(1e-12));
        assertThat(SlmScore.score(750.0, 100, 0)).isCloseTo((2 + 2 + 1) / 3.0, within(1e-12));
    }

    @Test
    void shouldGiveNoScoreWithoutALatency() {
        assertThat(SlmScore.score(null, 2.5, 1.0)).isNull();
    }
}
