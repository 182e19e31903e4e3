package io.soma.streams.edge.forecast;

import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastMetrics;

/** Token forecasts: the forecast app, its per-tenant model and capsule usage stores and the forecast routes. */
public record ForecastSlice(Closer closer, ForecastHandlers handlers) implements Slice {
    public static ForecastSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            ForecastApp.Config config = ForecastApp.Config.from(platform.config().settings(),
                    new ForecastMetrics(platform.metrics()));
            RunningApp app = platform.launch(ForecastApp.APPLICATION_ID, ForecastApp.build(config, platform.serdes()),
                    closer);
            platform.queries().local().registerGroupedStore(ForecastApp.FORECASTER_STORE, app.streams(),
                    StoreTenancy.keyedByTenant(), new ForecastTables(config.prices())::view);
            platform.queries().local().registerGroupedStore(ForecastApp.CAPSULE_USAGE_STORE, app.streams(),
                    StoreTenancy.keyedByTenant(), ForecastHandlers::capsuleView);
            return new ForecastSlice(closer, new ForecastHandlers(platform.stores(), config.horizonHours()));
        });
    }
}
