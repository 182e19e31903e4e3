package io.soma.streams.edge.slm;

import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.slm.SlmGauges;

import java.time.Clock;

/** SLM metrics: the SLM app, its minute and hopping window stores, the alert streams and the metrics routes. */
public record SlmSlice(Closer closer, SlmHandlers handlers) implements Slice {
    public static SlmSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            SlmApp.Config config = SlmApp.Config.from(platform.config().settings(), new SlmGauges(platform.metrics()));
            RunningApp app = platform.launch(SlmApp.APPLICATION_ID, SlmApp.build(config, platform.serdes()), closer);
            // per model and provider, over every tenant's calls
            platform.queries().local().registerWindowStore(SlmApp.MINUTE_WINDOWS, app.streams(), config.windowSize(),
                    StoreTenancy.shared(), SlmHandlers::windowView);
            platform.queries().local().registerWindowStore(SlmApp.HOPPING_WINDOWS, app.streams(), config.hoppingSize(),
                    StoreTenancy.shared(), SlmHandlers::windowView);
            var alerts = platform.serdes().value(Topics.SLM_ALERTS).deserializer();
            SlmHandlers handlers = new SlmHandlers(platform.stores(),
                    platform.sseHub("slm-alerts", SlmHandlers.alertSource(alerts, false), closer),
                    platform.sseHub("slm-alerts-by-model", SlmHandlers.alertSource(alerts, true), closer),
                    platform.config().settings().duration("slm.query.max.range"), Clock.systemUTC());
            return new SlmSlice(closer, handlers);
        });
    }
}
