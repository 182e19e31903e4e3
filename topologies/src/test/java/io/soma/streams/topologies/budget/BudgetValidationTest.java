package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetValidationTest {
    @Test
    void shouldAcceptADailyBudgetWithDefaultThresholds() {
        assertThat(BudgetValidation.problems(Budgets.daily("t", "daily", 1000).build())).isEmpty();
    }

    @Test
    void shouldNameTheFieldOfEachProblem() {
        assertThat(fields(Budgets.daily("t", "b", 0).build())).containsExactly("limit_tokens");
        assertThat(fields(Budgets.daily("t", "b", 10).setLimitUsd(-1.0).build())).containsExactly("limit_usd");
        assertThat(fields(Budgets.daily("t", "b", 10).setLimitTokens(null).build())).containsExactly("limit_tokens");
        assertThat(fields(Budgets.daily("t", "b", 10).setPeriod(BudgetPeriodKind.UNKNOWN).build()))
                .containsExactly("period");
        assertThat(fields(Budgets.daily("t", "b", 10).setTimeZone("Mars/Olympus_Mons").build()))
                .containsExactly("time_zone");
        assertThat(fields(Budgets.daily("t", "b", 10).setThresholdsPercent(List.of(80, 50)).build()))
                .containsExactly("thresholds_percent");
        assertThat(fields(Budgets.daily("t", "b", 10).setThresholdsPercent(List.of(50, 120)).build()))
                .containsExactly("thresholds_percent");
        assertThat(fields(Budgets.daily("t", "a/b", 10).build())).containsExactly("budget_id");
        assertThat(fields(Budgets.daily("t", "b", 10).setPeriod(BudgetPeriodKind.ROLLING).build()))
                .containsExactly("rolling_seconds");
        // 10^16 s: every later roll of the tenant's ledger would overflow in time arithmetic
        assertThat(fields(Budgets.daily("t", "b", 10).setPeriod(BudgetPeriodKind.ROLLING)
                .setRollingSeconds(10_000_000_000_000_000L).build())).containsExactly("rolling_seconds");
        assertThat(fields(Budgets.daily("t", "b", 10).setPeriod(BudgetPeriodKind.ROLLING)
                .setRollingSeconds(BudgetValidation.MAX_ROLLING_SECONDS).build())).isEmpty();
        // a rolling period has no use for a zone, but one that does not exist is still a mistake
        assertThat(fields(Budgets.daily("t", "b", 10).setPeriod(BudgetPeriodKind.ROLLING).setRollingSeconds(60L)
                .setTimeZone("Mars/Olympus_Mons").build())).containsExactly("time_zone");
    }

    @Test
    void shouldBoundEveryNameARecordCarries() {
        String tooLong = "x".repeat(BudgetValidation.MAX_NAME_CHARS + 1);
        String atLimit = "x".repeat(BudgetValidation.MAX_NAME_CHARS);

        assertThat(fields(Budgets.daily("t", "b", 10).setModel(tooLong).setProvider(tooLong).setCapsuleId(tooLong)
                .setUpdatedBy(tooLong).build())).containsExactly("provider", "model", "capsule_id", "updated_by");
        assertThat(fields(Budgets.daily(tooLong, tooLong, 10).build())).containsExactly("tenant", "budget_id");
        assertThat(fields(Budgets.daily("t", "b", 10).setTimeZone(tooLong).build())).containsOnly("time_zone");
        assertThat(BudgetValidation.problems(Budgets.daily("t", "b", 10).setTimeZone(tooLong).build()).get(0).message())
                .hasSizeLessThan(100);
        assertThat(fields(Budgets.daily(atLimit, atLimit, 10).setModel(atLimit).build())).isEmpty();
    }

    private static List<String> fields(BudgetDefinition d) {
        return BudgetValidation.problems(d).stream().map(BudgetProblem::field).toList();
    }
}
