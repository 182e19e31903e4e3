package io.soma.streams.edge.slm;

import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.query.LocalStores;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.topologies.slm.ModelCallers;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.slm.SlmGauges;
import io.soma.streams.topologies.runtime.Settings;

import java.time.Clock;
import java.util.Map;

/** SLM metrics: the SLM app, its minute and hopping window stores, the alert streams and the metrics routes. */
public record SlmSlice(Closer closer, SlmHandlers handlers) implements Slice {
    public static SlmSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            Settings settings = platform.config().settings();
            SlmApp.Config config = SlmApp.Config.from(settings, SlmGauges.of(settings, platform.metrics()));
            RunningApp app = platform.launch(SlmApp.APPLICATION_ID, SlmApp.build(config, platform.serdes()), closer);
            // per model and provider, over the calls of every tenant that called it: shown to those tenants
            StoreTenancy callers = StoreTenancy.pooledOver((model, tenant) -> ModelCallers.fromBytes(
                    LocalStores.<byte[]>activeValue(app.streams(), SlmApp.MODEL_TENANTS, model)).visibleTo(tenant));
            platform.queries().local().registerWindowStore(SlmApp.MINUTE_WINDOWS, app.streams(), config.windowSize(),
                    callers, SlmHandlers::windowView);
            platform.queries().local().registerWindowStore(SlmApp.HOPPING_WINDOWS, app.streams(), config.hoppingSize(),
                    callers, SlmHandlers::windowView);
            // found only by a tenant among them, which the answer does not name
            platform.queries().local().registerKeyValueStore(SlmApp.MODEL_TENANTS, app.streams(), callers,
                    found -> Map.of("called", true));
            var alerts = platform.serdes().value(Topics.SLM_ALERTS).deserializer();
            SlmHandlers handlers = new SlmHandlers(platform.stores(),
                    platform.sseHub("slm-alerts", SlmHandlers.alertSource(alerts, false), closer),
                    platform.sseHub("slm-alerts-by-model", SlmHandlers.alertSource(alerts, true), closer),
                    platform.config().settings().duration("slm.query.max.range"), Clock.systemUTC());
            return new SlmSlice(closer, handlers);
        });
    }
}
