package io.soma.streams.tools.forecast;

import io.soma.streams.topologies.forecast.ForecastSettings;
import io.soma.streams.topologies.forecast.ServeGenSeries;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ServeGenForecastEvaluationTest {
    static Path servegen() {
        return TestPaths.dataDir().resolve("servegen-language").resolve("servegen_m-large.csv");
    }

    @Test
    void shouldScoreEveryTenantAgainstTheBaselinesOnTheRealTrace() {
        ForecastSettings settings = ForecastSettings.defaults();
        int[] stateBytes = {0};
        List<ServeGenForecastEvaluation.TenantScore> scores = new ArrayList<>();
        for (ServeGenSeries s
                : ServeGenSeries.read(servegen(), settings.window()).values()) {
            scores.add(ServeGenForecastEvaluation.score(s, settings, stateBytes));
        }
        ServeGenForecastEvaluation.Summary summary = ServeGenForecastEvaluation.summarize(scores, stateBytes[0]);

        assertThat(summary.tenants()).isEqualTo(147);
        assertThat(summary.scoredTenants()).isEqualTo(103);
        assertThat(summary.intervals()).isEqualTo(103L * 288);
        // guards against regressions of the measured accuracy (docs/forecasting.md)
        assertThat(summary.forecaster().p90()).isLessThan(summary.seasonalNaive().p90());
        assertThat(summary.regularForecaster().median()).isLessThan(summary.regularSeasonalNaive().median());
        assertThat(summary.coverage()).isBetween(0.7, 0.9);
        // the published 24-hour totals (forecast after each window of day 13) against yesterday's total
        assertThat(summary.dailyTotalTenants()).isEqualTo(103);
        assertThat(summary.dailyTotalForecaster().p90()).isLessThan(summary.dailyTotalSeasonalNaive().p90());
        assertThat(summary.dailyTotalCoverage()).isBetween(0.7, 0.9);
        // every horizon's total beats seasonal-naive on volume-weighted WAPE, the 24-hour one included
        assertThat(summary.pooledTotals()).extracting(ServeGenForecastEvaluation.PooledTotals::hours)
                .containsExactly(1, 6, 12, 24);
        assertThat(summary.pooledTotals()).allSatisfy(p -> assertThat(p.ratio()).isLessThan(1.0));
        assertThat(summary.maxStateBytes()).isEqualTo(16_953);
    }

    @Test
    void shouldComputeSeasonalNaiveAndConstantWapeAsDefined() {
        ForecastSettings settings = ForecastSettings.defaults();
        ServeGenSeries tenant = ServeGenSeries.read(servegen(), settings.window()).get("m-large-104");
        ServeGenForecastEvaluation.TenantScore score = ServeGenForecastEvaluation.score(tenant, settings, new int[1]);
        double errors = 0;
        double constantErrors = 0;
        double actual = 0;
        for (int w = 12 * 144; w < 14 * 144; w++) {
            errors += Math.abs(tenant.total(w) - tenant.total(w - 144));
            constantErrors += Math.abs(tenant.total(w) - 100_000.0 / 144);
            actual += tenant.total(w);
        }
        assertThat(score.seasonalNaiveWape()).isCloseTo(errors / actual, within(1e-9));
        assertThat(score.constantWape()).isCloseTo(constantErrors / actual, within(1e-9));
        assertThat(score.scoredTokens()).isEqualTo(actual);
    }
}
