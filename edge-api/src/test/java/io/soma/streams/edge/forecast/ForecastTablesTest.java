package io.soma.streams.edge.forecast;

import io.soma.streams.stores.query.LocalStores.GroupEntry;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastResult;
import io.soma.streams.topologies.forecast.ForecastSettings;
import io.soma.streams.topologies.forecast.ForecastTable;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.ServeGenSeries;
import io.soma.streams.topologies.forecast.TokenForecaster;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ForecastTablesTest {
    private static final PriceTable PRICES = PriceTable.defaults();
    private static final long WINDOW_MS = ForecastSettings.DEFAULT_WINDOW.toMillis();
    private static final ForecastKey KEY = new ForecastKey("tenant-a", "openai", "gpt-4o");

    /** A real tenant's model after its first {@code windows} 10-minute windows. */
    private static TokenForecaster fed(ServeGenSeries tenant, int windows) {
        TokenForecaster model = TokenForecaster.create(ForecastSettings.defaults());
        for (int w = 0; w < windows; w++) {
            model.observe(w * WINDOW_MS, tenant.promptTokens()[w], tenant.completionTokens()[w]);
        }
        return model;
    }

    private static ServeGenSeries realTenant() {
        return ServeGenSeries.read(TestPaths.dataDir().resolve("servegen-language/servegen_m-large.csv"),
                ForecastSettings.DEFAULT_WINDOW).get("m-large-0");
    }

    private static Map<String, Object> builtAfresh(TokenForecaster model) {
        return ForecastHandlers.view(KEY, ForecastTable.of(model, PRICES, KEY.provider(), KEY.model()));
    }

    /** A model the tenant stopped using keeps the forecast of its last window: hours long gone by now. */
    @Test
    void shouldLeaveOutOfATotalAModelWhoseForecastEndedBeforeTheNewestWasMade() {
        ServeGenSeries tenant = realTenant();
        // the same real series, one model stopped 30 hours (180 windows) before the other's latest window
        ForecastResult stopped = ForecastTable.of(fed(tenant, 3 * 144), PRICES, "openai", "gpt-4o").forHours(24);
        ForecastResult current = ForecastTable.of(fed(tenant, 3 * 144 + 180), PRICES, "openai", "gpt-4o-mini")
                .forHours(24);

        Map<String, Object> total = ForecastHandlers.combined("tenant-a", null, List.of(
                ForecastHandlers.body("tenant-a", "openai", "gpt-4o", stopped),
                ForecastHandlers.body("tenant-a", "openai", "gpt-4o-mini", current)));

        assertThat(total.get("estimated_tokens")).isEqualTo(Math.round(current.estimatedTokens()));
        assertThat(total.get("generated_at")).isEqualTo(current.generatedAt().toString());
        List<Object> stale = ((List<?>) total.get("by_model")).stream().map(m -> ((Map<?, ?>) m).get("stale"))
                .map(Object.class::cast).toList();
        assertThat(stale).containsExactly(true, false);
    }

    @Test
    void shouldAnswerEachStateOfAModelWithItsOwnTable() {
        ServeGenSeries tenant = realTenant();
        ForecastTables tables = new ForecastTables(PRICES);
        TokenForecaster model = fed(tenant, 3 * 144);

        Map<String, Object> first = tables.view(new GroupEntry<>(KEY.storeKey(), model));
        assertThat(first).isEqualTo(builtAfresh(model));
        assertThat(tables.view(new GroupEntry<>(KEY.storeKey(), model))).isEqualTo(first);

        // the next window closes
        model.observe(3 * 144 * WINDOW_MS, tenant.promptTokens()[3 * 144], tenant.completionTokens()[3 * 144]);
        Map<String, Object> next = tables.view(new GroupEntry<>(KEY.storeKey(), model));
        assertThat(next).isEqualTo(builtAfresh(model)).isNotEqualTo(first);

        // the same window again with other numbers, as a transaction redone after an abort may give it
        TokenForecaster redone = fed(tenant, 3 * 144);
        redone.observe(3 * 144 * WINDOW_MS, 2 * tenant.promptTokens()[3 * 144], tenant.completionTokens()[3 * 144]);
        assertThat(tables.view(new GroupEntry<>(KEY.storeKey(), redone))).isEqualTo(builtAfresh(redone))
                .isNotEqualTo(next);
        assertThat(tables.size()).isEqualTo(1);
    }

    @Test
    void shouldKeepAtMostItsLimitOfTables() {
        ForecastTables tables = new ForecastTables(PRICES);
        TokenForecaster model = fed(realTenant(), 144);
        for (int i = 0; i <= ForecastTables.MAX_TABLES; i++) {
            tables.view(new GroupEntry<>(new ForecastKey("tenant-" + i, "openai", "gpt-4o").storeKey(), model));
        }

        assertThat(tables.size()).isEqualTo(ForecastTables.MAX_TABLES);
    }
}
