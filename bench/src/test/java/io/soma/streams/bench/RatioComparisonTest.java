package io.soma.streams.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RatioComparisonTest {
    @Test
    void aRatioInsideTheBandPassesAndOneBelowItRegresses() {
        Map<String, Double> baseline = Map.of("a", 10.0, "b", 4.0);

        RatioComparison.Outcome outcome = RatioComparison.compare(baseline, Map.of("a", 0.3, "b", 0.3),
                Map.of("a", 7.5, "b", 2.0));

        assertThat(outcome.passed()).isFalse();
        assertThat(outcome.regressions()).containsExactly(new RatioComparison.Regression("b", 4.0, 2.0, -0.5));
    }

    @Test
    void eachRatioIsJudgedByItsOwnBand() {
        RatioComparison.Outcome outcome = RatioComparison.compare(Map.of("steady", 10.0, "noisy", 10.0),
                Map.of("steady", 0.1, "noisy", 0.8), Map.of("steady", 8.0, "noisy", 3.0));

        assertThat(outcome.regressions()).extracting(RatioComparison.Regression::name).containsExactly("steady");
    }

    @Test
    void theBandEdgeItselfIsNotARegression() {
        assertThat(RatioComparison.compare(Map.of("a", 10.0), Map.of("a", 0.5), Map.of("a", 5.0)).passed()).isTrue();
    }

    @Test
    void aRatioThatRoseIsNeverARegression() {
        assertThat(RatioComparison.compare(Map.of("a", 2.0), Map.of("a", 0.0), Map.of("a", 200.0)).passed()).isTrue();
    }

    @Test
    void aBaselineRatioTheRunDidNotProduceFailsAndANewOneIsOnlyListed() {
        RatioComparison.Outcome outcome = RatioComparison.compare(Map.of("a", 2.0), Map.of("a", 0.3),
                Map.of("b", 3.0));

        assertThat(outcome.passed()).isFalse();
        assertThat(outcome.missing()).containsExactly("a");
        assertThat(outcome.unbaselined()).containsExactly("b");
        assertThat(outcome.regressions()).isEmpty();
    }

    @Test
    void aBaselineRatioWithoutABandOrWithOneOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> RatioComparison.compare(Map.of("a", 2.0), Map.of(), Map.of("a", 2.0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RatioComparison.compare(Map.of("a", 2.0), Map.of("a", 1.0), Map.of("a", 2.0)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
