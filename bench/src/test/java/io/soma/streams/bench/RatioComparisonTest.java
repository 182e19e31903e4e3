package io.soma.streams.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RatioComparisonTest {
    @Test
    void aRatioInsideTheBandPassesAndOneBelowItRegresses() {
        Map<String, Double> baseline = Map.of("a", 10.0, "b", 4.0);

        RatioComparison.Outcome outcome = RatioComparison.compare(baseline, Map.of("a", 7.5, "b", 2.0), 0.3);

        assertThat(outcome.passed()).isFalse();
        assertThat(outcome.regressions()).containsExactly(new RatioComparison.Regression("b", 4.0, 2.0, -0.5));
    }

    @Test
    void theBandEdgeItselfIsNotARegression() {
        assertThat(RatioComparison.compare(Map.of("a", 10.0), Map.of("a", 5.0), 0.5).passed()).isTrue();
    }

    @Test
    void aRatioThatRoseIsNeverARegression() {
        assertThat(RatioComparison.compare(Map.of("a", 2.0), Map.of("a", 200.0), 0.0).passed()).isTrue();
    }

    @Test
    void aBaselineRatioTheRunDidNotProduceFailsAndANewOneIsOnlyListed() {
        RatioComparison.Outcome outcome = RatioComparison.compare(Map.of("a", 2.0), Map.of("b", 3.0), 0.3);

        assertThat(outcome.passed()).isFalse();
        assertThat(outcome.missing()).containsExactly("a");
        assertThat(outcome.unbaselined()).containsExactly("b");
        assertThat(outcome.regressions()).isEmpty();
    }

    @Test
    void aBandOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> RatioComparison.compare(Map.of(), Map.of(), 1.0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
