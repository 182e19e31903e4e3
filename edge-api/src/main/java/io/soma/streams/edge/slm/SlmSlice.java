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
            SlmHandlers handlers = closer.own(SlmHandlers.start(platform.stores(),
                    platform.config().bootstrapServers(), platform.serdes().value(Topics.SLM_ALERTS).deserializer(),
                    platform.sse(), platform.config().settings().duration("slm.query.max.range")));
            return new SlmSlice(closer, handlers);
        });
    }
}
