package io.soma.streams.topologies.forecast;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ForecastTableTest {
    private static final PriceTable PRICES = PriceTable.defaults();

    private static TokenForecaster fedThreeDays() {
        ServeGenSeries tenant = ServeGenSeries.read(TokenForecasterTest.servegen(), ForecastSettings.DEFAULT_WINDOW)
                .get("m-large-0");
        TokenForecaster f = TokenForecaster.create(ForecastSettings.defaults());
        for (int w = 0; w < 3 * 144; w++) {
            f.observe(w * ForecastSettings.DEFAULT_WINDOW.toMillis(), tenant.promptTokens()[w],
                    tenant.completionTokens()[w]);
        }
        return f;
    }

    @Test
    void shouldHoldTheModelsForecastOfEveryHorizonTheEdgeAnswers() {
        TokenForecaster f = fedThreeDays();

        ForecastTable table = ForecastTable.of(f, PRICES, "openai", "gpt-4o");

        assertThat(table.byHours()).hasSize(ForecastTable.MAX_HOURS);
        for (int hours = 1; hours <= ForecastTable.MAX_HOURS; hours++) {
            assertThat(table.forHours(hours)).isEqualTo(ForecastResult.of(f, hours, PRICES, "openai", "gpt-4o"));
        }
    }
}
