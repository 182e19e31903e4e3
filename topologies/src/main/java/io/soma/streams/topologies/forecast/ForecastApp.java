package io.soma.streams.topologies.forecast;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TokenForecast;
import io.soma.streams.avro.TokenUsageWindow;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.ConversationEventTime;
import io.soma.streams.topologies.runtime.EventMeasures;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The token forecast app (docs/forecasting.md): {@code conversation.events} → per tenant (repartitioned) → tumbling
 * event-time usage windows per (tenant, provider, model) with a grace period → {@code token.usage} when a window
 * closes → the key's {@link TokenForecaster}, updated once per closed window → {@code token.forecasts}.
 *
 * <p>Windows are kept in a store of their own rather than the DSL's windowed aggregation so that an event that
 * arrives after its window closed is counted ({@code token_usage_late_events_total}) instead of dropped silently.
 * A window closes when stream time (the largest event time the task has seen) reaches its end plus the grace
 * period, the rule of Kafka Streams' own windows. Events carrying neither prompt nor completion tokens are not
 * usage and are skipped; an absent provider or model is {@value ForecastKey#UNKNOWN}.
 *
 * <p>Each (tenant, provider, model) has its own forecaster, one entry of {@link #FORECASTER_STORE} under its
 * {@link ForecastKey#storeKey()}: the events are partitioned by tenant, so a tenant's entries share a partition and
 * the edge reads them with one prefix scan, while no entry grows with the number of models. Per closed window the
 * app publishes the key's forecast of its horizon; the forecasts of every horizon the edge answers
 * ({@link ForecastTable}, 168 intervals) are not built here for every key at every window, but by the edge from the
 * stored model, once per key and window, for the keys someone asks about. A closed window at or
 * before the key's last one is ignored, so a replay after a crash never counts a window twice (and exactly-once
 * processing keeps the store and the offsets together).
 *
 * <p>An event carrying a {@code capsule_id} is also added to a window of its own per (tenant, provider, model,
 * capsule) ({@link CapsuleKey}). Those windows close by the same rule, are not published on {@code token.usage}, and
 * feed a forecaster per such key (the same {@link TokenForecaster}, {@link #CAPSULE_FORECASTER_STORE}) and the
 * capsule's bounded 7-day usage with each model's forecast ({@link CapsuleUsage}, {@link #CAPSULE_USAGE_STORE},
 * grouped by tenant), which the edge reads for {@code GET /v1/forecast/{tenant}/capsules/{capsule}}.
 */
public final class ForecastApp {
    public static final String APPLICATION_ID = "soma-forecast";
    /** Open usage windows, keyed by zero-padded window start then tenant, provider, model. */
    public static final String WINDOW_STORE = "token-usage-open-windows";
    /** {@link ForecastKey#storeKey()} → {@link TokenForecaster}. */
    public static final String FORECASTER_STORE = "token-forecasters-by-key";
    /** {@link CapsuleKey#storeKey()} → {@link TokenForecaster} of a tenant's usage of a capsule with one model. */
    public static final String CAPSULE_FORECASTER_STORE = "capsule-token-forecasters-by-key";
    /** {@link CapsuleKey#summaryKey()} → {@link CapsuleUsage}: what the edge answers a capsule's summary with. */
    public static final String CAPSULE_USAGE_STORE = "capsule-token-usage-by-key";
    /**
     * The most state one key may need: its store entry goes to the changelog as one record, and Kafka refuses
     * records over about 1 MB (the default {@code max.message.bytes}), which would stop the app.
     */
    static final int MAX_STATE_BYTES_PER_KEY = 1_000_000;
    private static final String REPARTITION = "usage-by-tenant";
    /** How often, in stream time, idle keys are looked for ({@link Config#keyRetention}). */
    static final Duration KEY_RETENTION_CHECK = Duration.ofHours(1);
    private static final Logger log = LoggerFactory.getLogger(ForecastApp.class);
    private static final char SEPARATOR = '\u0000';

    /**
     * @param window       usage window length (a day must hold a whole number of them)
     * @param grace        how long after a window's end (in event time) late events still count in it
     * @param horizonHours horizon of the forecasts published on {@code token.forecasts}
     * @param keyRetention how long after its last window a key's forecaster and capsule usage are kept
     */
    public record Config(Duration window, Duration grace, int horizonHours, PriceTable prices,
                         ForecastMetrics metrics, Duration keyRetention) {
        /** The default {@link #keyRetention}: a month and a week of idle time, far past what a forecast still uses. */
        public static final Duration DEFAULT_KEY_RETENTION = Duration.ofDays(35);

        public Config(Duration window, Duration grace, int horizonHours, PriceTable prices, ForecastMetrics metrics) {
            this(window, grace, horizonHours, prices, metrics, DEFAULT_KEY_RETENTION);
        }

        public Config {
            if (keyRetention.compareTo(Duration.ofDays(8)) < 0) {
                // a key's forecast uses its last week of windows: kept less, a weekly key would restart cold
                throw new IllegalArgumentException("keyRetention must be at least 8 days, got " + keyRetention);
            }
            long stateBytes = TokenForecaster.stateBytes(ForecastSettings.of(window));
            if (stateBytes > MAX_STATE_BYTES_PER_KEY) {
                throw new IllegalArgumentException("a " + window + " window needs " + stateBytes
                        + " bytes of forecaster state per key, more than a Kafka record may hold ("
                        + MAX_STATE_BYTES_PER_KEY + "): choose a longer window");
            }
            if (grace.isNegative() || horizonHours < 1 || horizonHours > ForecastTable.MAX_HOURS) {
                throw new IllegalArgumentException("grace must not be negative and horizonHours must be from 1 to "
                        + ForecastTable.MAX_HOURS);
            }
        }

        public static Config defaults(ForecastMetrics metrics) {
            return new Config(ForecastSettings.DEFAULT_WINDOW, Duration.ofMinutes(5), 24, PriceTable.defaults(),
                    metrics);
        }

        /**
         * From {@code forecast.window}, {@code forecast.grace}, {@code forecast.horizon.hours}, {@code forecast.prices}
         * and {@code forecast.key.retention}.
         */
        public static Config from(Settings settings, ForecastMetrics metrics) {
            return new Config(settings.duration("forecast.window"), settings.duration("forecast.grace"),
                    settings.integer("forecast.horizon.hours"), PriceTable.parse(settings.string("forecast.prices")),
                    metrics, settings.duration("forecast.key.retention"));
        }
    }

    private ForecastApp() {
    }

    public static Topology build(Config config, AppSerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(cached(WINDOW_STORE, serdes.storeValue(TokenUsageWindow.class)));
        builder.addStateStore(cached(FORECASTER_STORE, forecasterSerde()));
        builder.addStateStore(cached(CAPSULE_FORECASTER_STORE, forecasterSerde()));
        builder.addStateStore(cached(CAPSULE_USAGE_STORE, capsuleUsageSerde()));
        var events = serdes.value(Topics.CONVERSATION_EVENTS);
        KStream<String, TokenUsageWindow> closed = builder
                .stream(Topics.CONVERSATION_EVENTS.name(), Consumed.with(Serdes.String(), events)
                        .withTimestampExtractor(new ConversationEventTime()))
                .filter((session, e) -> e.getPromptTokens() != null || e.getCompletionTokens() != null)
                // names too long to key by, and counts no window may add, are refused (dead-lettered) before the
                // repartition
                .selectKey((session, e) -> EventNames.require(EventMeasures.requireTokenCounts(e)).getTenant())
                .repartition(Repartitioned.with(Serdes.String(), events).withName(REPARTITION))
                .process(() -> new UsageWindowProcessor(config), WINDOW_STORE);
        // a capsule's windows repeat usage already in its model's window: they feed the capsule's state only
        KStream<String, TokenUsageWindow> usage = closed.filter((tenant, w) -> w.getCapsuleId() == null);
        closed.filter((tenant, w) -> w.getCapsuleId() != null)
                .process(() -> new CapsuleUsageProcessor(config), CAPSULE_FORECASTER_STORE, CAPSULE_USAGE_STORE);
        usage.to(Topics.TOKEN_USAGE.name(), Produced.with(Serdes.String(), serdes.value(Topics.TOKEN_USAGE)));
        usage.process(() -> new ForecasterProcessor(config), FORECASTER_STORE)
                .to(Topics.TOKEN_FORECASTS.name(), Produced.with(Serdes.String(), serdes.value(Topics.TOKEN_FORECASTS)));
        return builder.build();
    }

    /**
     * A persistent store behind the record cache: a key updated many times within one commit interval (each closed
     * window rewrites its key's whole forecaster; a catch-up or replay closes many per key) reaches RocksDB
     * and the changelog once, at the commit. Exactly-once flushes the cache before every commit, and the edge's
     * interactive queries read through it.
     */
    private static <V> StoreBuilder<KeyValueStore<String, V>> cached(String name, Serde<V> valueSerde) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), valueSerde)
                .withCachingEnabled();
    }

    /** Sums events into open windows and emits each window, oldest first, once stream time passes end + grace. */
    static final class UsageWindowProcessor implements Processor<String, ConversationEvent, String, TokenUsageWindow> {
        private final long windowMs;
        private final long graceMs;
        private final ForecastMetrics metrics;
        private ProcessorContext<String, TokenUsageWindow> context;
        private KeyValueStore<String, TokenUsageWindow> open;
        /** Every window starting before this has closed; unknown (null) until the first close after a start. */
        private Long firstOpenStart;

        UsageWindowProcessor(Config config) {
            this.windowMs = config.window().toMillis();
            this.graceMs = config.grace().toMillis();
            this.metrics = config.metrics();
        }

        @Override
        public void init(ProcessorContext<String, TokenUsageWindow> context) {
            this.context = context;
            this.open = context.getStateStore(WINDOW_STORE);
            // a task revived after an aborted transaction reuses this instance with its store rolled back
            this.firstOpenStart = null;
        }

        @Override
        public void process(Record<String, ConversationEvent> record) {
            ConversationEvent e = record.value();
            long streamTime = Math.max(context.currentStreamTimeMs(), record.timestamp());
            long start = Math.floorDiv(record.timestamp(), windowMs) * windowMs;
            if (start + windowMs + graceMs <= streamTime) {
                metrics.lateEvent(e.getTenant());
            } else {
                add(start, e);
            }
            closeWindowsUpTo(streamTime);
        }

        private void add(long start, ConversationEvent e) {
            // refuses a NUL in tenant, provider, model or capsule before anything is stored: the event goes to the DLQ
            var forecastKey = new ForecastKey(e.getTenant(), orUnknown(e.getProvider()), orUnknown(e.getModel()));
            String capsule = e.getCapsuleId();
            var capsuleKey = capsule == null || capsule.isBlank() ? null : new CapsuleKey(forecastKey, capsule);
            add(start, forecastKey, null, e);
            if (capsuleKey != null) {
                add(start, forecastKey, capsuleKey, e);
            }
        }

        /** Adds the event to its model's window, or with a capsule key to its window of that capsule and model. */
        private void add(long start, ForecastKey forecastKey, CapsuleKey capsuleKey, ConversationEvent e) {
            String key = paddedStart(start) + SEPARATOR
                    + (capsuleKey == null ? forecastKey.storeKey() : capsuleKey.storeKey());
            TokenUsageWindow w = open.get(key);
            if (w == null) {
                w = TokenUsageWindow.newBuilder().setTenant(forecastKey.tenant()).setProvider(forecastKey.provider())
                        .setModel(forecastKey.model()).setCapsuleId(capsuleKey == null ? null : capsuleKey.capsule())
                        .setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(start + windowMs))
                        .setPromptTokens(0).setCompletionTokens(0).setTotalTokens(0).setRequests(0).build();
            }
            long prompt = e.getPromptTokens() == null ? 0 : e.getPromptTokens();
            long completion = e.getCompletionTokens() == null ? 0 : e.getCompletionTokens();
            w.setPromptTokens(w.getPromptTokens() + prompt);
            w.setCompletionTokens(w.getCompletionTokens() + completion);
            w.setTotalTokens(w.getTotalTokens() + prompt + completion);
            w.setRequests(w.getRequests() + 1);
            open.put(key, w);
        }

        private void closeWindowsUpTo(long streamTime) {
            long lastClosableStart = streamTime - graceMs - windowMs;
            List<String> closed = new ArrayList<>();
            // keys sort by window start, so this is every closable window, oldest first; starting the scan where
            // the last one ended skips the tombstones of closed windows, which RocksDB would otherwise walk again
            String from = firstOpenStart == null ? null : paddedStart(firstOpenStart);
            try (KeyValueIterator<String, TokenUsageWindow> due = open.range(from, paddedStart(lastClosableStart + 1))) {
                due.forEachRemaining(kv -> {
                    closed.add(kv.key);
                    TokenUsageWindow w = kv.value;
                    context.forward(new Record<>(w.getTenant(), w, w.getWindowEnd().toEpochMilli() - 1));
                });
            }
            closed.forEach(open::delete);
            // an event is only added to a window after this bound, so nothing can open before it again
            firstOpenStart = lastClosableStart + 1;
        }

        private static String paddedStart(long start) {
            return String.format("%019d", Math.max(0, start));
        }
    }

    /** Feeds each closed window to its key's forecaster and publishes the key's forecast of the app's horizon. */
    static final class ForecasterProcessor implements Processor<String, TokenUsageWindow, String, TokenForecast> {
        private final Config config;
        private final ForecastSettings settings;
        /**
         * Recent WAPE of each key this task updated since it started: the gauge is the tenant's worst. Reading the
         * tenant's other models from the store at every window would cost a prefix scan and their deserialization.
         */
        private final Map<String, Map<ForecastKey, Double>> recentWapes = new HashMap<>();
        private ProcessorContext<String, TokenForecast> context;
        private KeyValueStore<String, TokenForecaster> forecasters;

        ForecasterProcessor(Config config) {
            this.config = config;
            this.settings = ForecastSettings.of(config.window());
        }

        @Override
        public void init(ProcessorContext<String, TokenForecast> context) {
            this.context = context;
            this.forecasters = context.getStateStore(FORECASTER_STORE);
            // a task revived after an aborted transaction reuses this instance with its store rolled back
            forgetAllWapes();
            forgetIdleKeys(context, config, forecasters, TokenForecaster::lastWindowStartMs, config.window(),
                    this::forgetWapes);
        }

        /** The task moves to another instance, or ends: its tenants' gauges are that instance's to set now. */
        @Override
        public void close() {
            forgetAllWapes();
        }

        private void forgetAllWapes() {
            recentWapes.keySet().forEach(config.metrics()::forgetWape);
            recentWapes.clear();
        }

        /** The forgotten keys' WAPE leaves their tenant's worst. */
        private void forgetWapes(List<String> forgottenKeys) {
            for (String storeKey : forgottenKeys) {
                ForecastKey key = ForecastKey.fromStoreKey(storeKey);
                Map<ForecastKey, Double> tenant = recentWapes.get(key.tenant());
                if (tenant != null && tenant.remove(key) != null) {
                    publishWorstWape(key.tenant());
                }
            }
        }

        /** The gauge is the tenant's worst recent WAPE; a tenant left with none has no series. */
        private void publishWorstWape(String tenant) {
            Map<ForecastKey, Double> wapes = recentWapes.get(tenant);
            if (wapes.isEmpty()) {
                recentWapes.remove(tenant);
                config.metrics().forgetWape(tenant);
            } else {
                config.metrics().recentWape(tenant, Collections.max(wapes.values()));
            }
        }

        @Override
        public void process(Record<String, TokenUsageWindow> record) {
            TokenUsageWindow w = record.value();
            var key = new ForecastKey(w.getTenant(), w.getProvider(), w.getModel());
            TokenForecaster forecaster = observe(forecasters, key.storeKey(), w, settings);
            if (forecaster == null) {
                return;
            }
            ForecastResult result = ForecastResult.of(forecaster, config.horizonHours(), config.prices(),
                    key.provider(), key.model());
            context.forward(record.withValue(toAvro(key, result)));
            result.recentWape().ifPresent(wape -> {
                recentWapes.computeIfAbsent(key.tenant(), t -> new HashMap<>()).put(key, wape);
                publishWorstWape(key.tenant());
            });
        }
    }

    /**
     * Feeds a closed window to the forecaster stored under {@code key} (a new one for a new key) and stores it back;
     * null, and nothing stored, when the window is at or before the forecaster's last one (a replayed window).
     */
    static TokenForecaster observe(KeyValueStore<String, TokenForecaster> forecasters, String key, TokenUsageWindow w,
                                   ForecastSettings settings) {
        TokenForecaster forecaster = forecasters.get(key);
        if (forecaster == null) {
            forecaster = TokenForecaster.create(settings);
        }
        if (!forecaster.observe(w.getWindowStart().toEpochMilli(), w.getPromptTokens(), w.getCompletionTokens())) {
            return null;
        }
        forecasters.put(key, forecaster);
        return forecaster;
    }

    /**
     * Adds a closed window of a capsule and model to the capsule's {@link CapsuleUsage}, priced with the app's
     * {@link PriceTable}, and replaces that model's forecast in it with the one its forecaster now makes for the
     * app's horizon. Its forecasters are {@link TokenForecaster}s like the models'; a replayed window changes nothing.
     */
    static final class CapsuleUsageProcessor implements Processor<String, TokenUsageWindow, Void, Void> {
        private final Config config;
        private final ForecastSettings settings;
        private KeyValueStore<String, TokenForecaster> forecasters;
        private KeyValueStore<String, CapsuleUsage> summaries;

        CapsuleUsageProcessor(Config config) {
            this.config = config;
            this.settings = ForecastSettings.of(config.window());
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.forecasters = context.getStateStore(CAPSULE_FORECASTER_STORE);
            this.summaries = context.getStateStore(CAPSULE_USAGE_STORE);
            forgetIdleKeys(context, config, forecasters, TokenForecaster::lastWindowStartMs, config.window(),
                    forgotten -> { });
            forgetIdleKeys(context, config, summaries, CapsuleUsage::asOf, Duration.ZERO, forgotten -> { });
        }

        @Override
        public void process(Record<String, TokenUsageWindow> record) {
            TokenUsageWindow w = record.value();
            var key = new CapsuleKey(new ForecastKey(w.getTenant(), w.getProvider(), w.getModel()), w.getCapsuleId());
            TokenForecaster forecaster = observe(forecasters, key.storeKey(), w, settings);
            if (forecaster == null) {
                return;
            }
            CapsuleUsage summary = summaries.get(key.summaryKey());
            if (summary == null) {
                summary = CapsuleUsage.empty();
            }
            double cost = config.prices().priceOf(w.getProvider(), w.getModel())
                    .map(p -> p.cost(w.getPromptTokens(), w.getCompletionTokens())).orElse(0.0);
            summary.add(w.getWindowStart().toEpochMilli(), w.getWindowEnd().toEpochMilli(),
                    new CapsuleUsage.Totals(w.getPromptTokens(), w.getCompletionTokens(), w.getRequests(), cost));
            summary.forecast(w.getProvider(), w.getModel(), ForecastResult.of(forecaster, config.horizonHours(),
                    config.prices(), w.getProvider(), w.getModel()));
            summaries.put(key.summaryKey(), summary);
        }
    }

    /**
     * Every hour of stream time, deletes the entries of {@code store} whose last activity ({@code lastActivity}, plus
     * {@code activityLength}: the end of a key's last window) is more than the retention before stream time. Events
     * may name a model or capsule per request; without this every name ever seen would keep its 17 KB forecaster.
     */
    private static <V> void forgetIdleKeys(ProcessorContext<?, ?> context, Config config,
                                           KeyValueStore<String, V> store, Function<V, OptionalLong> lastActivity,
                                           Duration activityLength, Consumer<List<String>> forgotten) {
        long retainedMs = config.keyRetention().plus(activityLength).toMillis();
        context.schedule(KEY_RETENTION_CHECK, PunctuationType.STREAM_TIME, streamTime -> {
            List<String> idle = new ArrayList<>();
            try (KeyValueIterator<String, V> all = store.all()) {
                all.forEachRemaining(kv -> {
                    OptionalLong last = lastActivity.apply(kv.value);
                    if (last.isEmpty() || streamTime - last.getAsLong() > retainedMs) {
                        idle.add(kv.key);
                    }
                });
            }
            idle.forEach(store::delete);
            forgotten.accept(idle);
            if (!idle.isEmpty()) {
                log.info("{}: forgot {} keys idle for more than {}", store.name(), idle.size(), config.keyRetention());
            }
        });
    }

    public static TokenForecast toAvro(ForecastKey key, ForecastResult r) {
        return TokenForecast.newBuilder()
                .setTenant(key.tenant())
                .setProvider(key.provider())
                .setModel(key.model())
                .setGeneratedAt(r.generatedAt())
                .setHorizonHours(r.horizonHours())
                .setEstimatedTokens(r.estimatedTokens())
                .setLower(r.lower())
                .setUpper(r.upper())
                .setEstimatedCostUsd(r.estimatedCostUsd())
                .setConfidence(r.confidence())
                .setMethod(r.method())
                .setRecentWape(r.recentWape().isPresent() ? r.recentWape().getAsDouble() : null)
                .build();
    }

    /** A forecaster's own versioned binary state ({@link TokenForecaster#toBytes()}) as the store's value. */
    static Serde<TokenForecaster> forecasterSerde() {
        Serializer<TokenForecaster> serializer = (topic, value) -> value == null ? null : value.toBytes();
        Deserializer<TokenForecaster> deserializer = (topic, bytes) -> bytes == null ? null : TokenForecaster.fromBytes(bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    static Serde<CapsuleUsage> capsuleUsageSerde() {
        Serializer<CapsuleUsage> serializer = (topic, value) -> value == null ? null : value.toBytes();
        Deserializer<CapsuleUsage> deserializer = (topic, bytes) -> bytes == null ? null : CapsuleUsage.fromBytes(bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    private static String orUnknown(String value) {
        return value == null || value.isBlank() ? ForecastKey.UNKNOWN : value;
    }
}
