package io.soma.streams.edge.training;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.stores.redis.TrainingLockMirror;
import io.soma.streams.topologies.training.TrainingApp;

import java.time.Duration;

/** Training mode: the training app, its lock store, the Redis mirror of the locks, and the enable/disable routes. */
public record TrainingSlice(Closer closer, TrainingHandlers handlers) implements Slice {
    public static TrainingSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            TrainingApp.Config config = TrainingApp.Config.from(platform.config().settings());
            RunningApp app = platform.launch(TrainingApp.APPLICATION_ID, TrainingApp.build(config, platform.serdes()),
                    closer);
            platform.queries().local().registerKeyValueStore(TrainingApp.LOCK_STORE, app.streams(),
                    StoreTenancy.keyedByTenant(),
                    (TrainingModeState s) -> TrainingHandlers.view(s.getTenant(), s.getLock()));
            var replies = platform.replies(Topics.TRAINING_AUDIT, TrainingAudit::getCommandId, closer);
            TrainingLockMirror mirror = closer.own(new TrainingLockMirror(platform.config().bootstrapServers(),
                    Topics.TRAINING_STATE.name(), platform.serdes().value(Topics.TRAINING_STATE).deserializer(),
                    platform.redis().jedis(), platform.config().redisKeyPrefix(), Duration.ofSeconds(2)));
            GaugeWithCallback.builder().name("training_mode_state").help("1 while the tenant is in training mode")
                    .labelNames("tenant")
                    .callback(cb -> mirror.states().forEach((tenant, on) -> cb.call(on ? 1 : 0, tenant)))
                    .register(platform.metrics());
            CounterWithCallback.builder().name("training_mirror_redis_failures_total")
                    .help("Writes of training:lock:* to Redis that failed (retried; Redis is only a mirror)")
                    .callback(cb -> cb.call(mirror.redisFailures())).register(platform.metrics());
            return new TrainingSlice(closer, new TrainingHandlers(platform.producer(), replies, platform.stores(),
                    platform.replyTimeout(), config.maxTtl()));
        });
    }
}
