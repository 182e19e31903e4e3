package io.soma.streams.topologies.slm;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.SlmAlert;
import io.soma.streams.avro.SlmMetricsWindow;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.ConversationEventTime;
import io.soma.streams.topologies.runtime.EventMeasures;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The SLM metrics app (docs/slm-metrics.md): {@code conversation.events} → per {@code model@provider}, tumbling 1-minute
 * windows and a 5-minute view hopping by 1 minute, in event time → {@code slm.metrics} once per window when it
 * closes (window end + grace) → the alert state machine over the closed 1-minute windows → {@code slm.alerts}
 * on changes only.
 *
 * <p>An event counts when it names a model and a provider and carries an outcome ({@code status} or
 * {@code latency_ms}): a completed request, whatever its {@code event_type}. Prompts, stream starts and
 * tool calls carry neither and are skipped. Status {@code error} or {@code timeout} is a failed request.
 *
 * <p>The alert levels live in {@link #ALERT_STATES}; under exactly-once the level and the alert it caused
 * commit together, so a restart neither repeats nor loses an alert.
 *
 * <p>A model's metrics pool every tenant's calls, but a model's very name can be one tenant's (a fine-tuned model
 * names its owner): {@link #MODEL_TENANTS} keeps which tenants have called each model@provider ({@link ModelCallers}),
 * the tenants that may see its windows and alerts (every alert names them).
 */
public final class SlmApp {
    public static final String APPLICATION_ID = "soma-slm";
    /** Window store of the 1-minute windows: key {@code model@provider}, value {@link SlmWindowAggregate}. */
    public static final String MINUTE_WINDOWS = "slm-windows-1m";
    /** Window store of the 5-minute hopping view. */
    public static final String HOPPING_WINDOWS = "slm-windows-5m";
    public static final String ALERT_STATES = "slm-alert-states";
    /** Key-value store: key {@code model@provider}, value its {@link ModelCallers} as bytes. */
    public static final String MODEL_TENANTS = "slm-model-tenants";
    /** The store format of {@link SlmWindowAggregate}, for interactive queries. */
    public static final Serde<SlmWindowAggregate> AGGREGATE_SERDE = Serdes.serdeFrom(
            (topic, aggregate) -> aggregate == null ? null : aggregate.toBytes(),
            (topic, bytes) -> bytes == null ? null : SlmWindowAggregate.fromBytes(bytes));
    private static final Set<String> FAILED_STATUSES = Set.of("error", "timeout");
    private static final Logger log = LoggerFactory.getLogger(SlmApp.class);

    /**
     * @param windowSize     the tumbling window (1 minute)
     * @param hoppingSize    the hopping view's window (5 minutes)
     * @param hoppingAdvance how far the hopping view moves (1 minute)
     * @param grace          how long after its end a window still takes late events; it is emitted after that
     * @param retention      how long closed windows stay queryable in the stores
     */
    public record Config(Duration windowSize, Duration hoppingSize, Duration hoppingAdvance, Duration grace,
                         Duration retention, AlertThresholds thresholds, WindowListener listener) {
        public Config {
            if (retention.compareTo(hoppingSize.plus(grace)) < 0) {
                throw new IllegalArgumentException("slm retention " + retention + " must cover the hopping window "
                        + hoppingSize + " plus grace " + grace);
            }
        }

        public static Config defaults() {
            return new Config(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(1),
                    Duration.ofSeconds(30), Duration.ofHours(24), AlertThresholds.defaults(), WindowListener.NONE);
        }

        /**
         * From the {@code slm.*} settings: {@code slm.window.size}, {@code slm.view.size}, {@code slm.view.advance},
         * {@code slm.window.grace}, {@code slm.store.retention} (durations) and the {@code slm.alerts.*} thresholds.
         */
        public static Config from(Settings settings, WindowListener listener) {
            Map<String, String> alerts = new HashMap<>();
            settings.withPrefix("slm.alerts").forEach((key, value) -> alerts.put(AlertThresholds.PREFIX + key, value));
            return new Config(settings.duration("slm.window.size"), settings.duration("slm.view.size"),
                    settings.duration("slm.view.advance"), settings.duration("slm.window.grace"),
                    settings.duration("slm.store.retention"), AlertThresholds.fromConfig(alerts), listener);
        }

        public Config withListener(WindowListener other) {
            return new Config(windowSize, hoppingSize, hoppingAdvance, grace, retention, thresholds, other);
        }

        public Config withThresholds(AlertThresholds other) {
            return new Config(windowSize, hoppingSize, hoppingAdvance, grace, retention, other, listener);
        }
    }

    /** Sees every closed 1-minute window, on the stream thread (e.g. {@link SlmGauges}). */
    @FunctionalInterface
    public interface WindowListener {
        WindowListener NONE = (model, provider, windowEnd, summary) -> {
        };

        void closed(String model, String provider, Instant windowEnd, SlmWindowSummary summary);
    }

    private SlmApp() {
    }

    public static Topology build(Config config, AppSerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
        Serde<ConversationEvent> events = serdes.value(Topics.CONVERSATION_EVENTS);
        KStream<String, ConversationEvent> requests = builder
                .stream(Topics.CONVERSATION_EVENTS.name(), Consumed.with(Serdes.String(), events)
                        .withTimestampExtractor(new ConversationEventTime()).withName("conversation-events"))
                .filter((session, event) -> counts(event), Named.as("completed-requests"))
                // only what the metrics read crosses the repartition topic
                .mapValues(SlmApp::measurementsOnly, Named.as("measurements-only"))
                .selectKey((session, event) -> SlmRequest.key(event.getModel(), event.getProvider()),
                        Named.as("by-model"))
                .repartition(Repartitioned.with(Serdes.String(), events).withName("slm-by-model"));
        KGroupedStream<String, ConversationEvent> byModel = requests.groupByKey(Grouped.with(Serdes.String(), events));

        KStream<Windowed<String>, SlmWindowAggregate> minutes = closedWindows(byModel,
                TimeWindows.ofSizeAndGrace(config.windowSize(), config.grace()), MINUTE_WINDOWS, config);
        KStream<Windowed<String>, SlmWindowAggregate> hopping = closedWindows(byModel,
                TimeWindows.ofSizeAndGrace(config.hoppingSize(), config.grace()).advanceBy(config.hoppingAdvance()),
                HOPPING_WINDOWS, config);
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MODEL_TENANTS),
                Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERT_STATES),
                Serdes.String(), Serdes.ByteArray()));
        // after the windows: it reads the 1-minute store to tell which models are idle
        requests.process(() -> new TenantsProcessor(config.retention()), Named.as("slm-model-tenants"),
                MODEL_TENANTS, ALERT_STATES, MINUTE_WINDOWS);

        Produced<String, SlmMetricsWindow> toMetrics = Produced.with(Serdes.String(), serdes.value(Topics.SLM_METRICS));
        minutes.peek((window, aggregate) -> notify(config.listener(), window, aggregate), Named.as("slm-1m-listener"))
                .map((window, aggregate) -> SlmWindows.record(window, aggregate), Named.as("slm-1m-metrics"))
                .to(Topics.SLM_METRICS.name(), toMetrics.withName("slm-1m-sink"));
        hopping.map((window, aggregate) -> SlmWindows.record(window, aggregate), Named.as("slm-5m-metrics"))
                .to(Topics.SLM_METRICS.name(), toMetrics.withName("slm-5m-sink"));

        minutes.process(() -> new AlertProcessor(config.thresholds()), Named.as("slm-alerts"), ALERT_STATES,
                        MODEL_TENANTS)
                .to(Topics.SLM_ALERTS.name(), Produced.with(Serdes.String(), serdes.value(Topics.SLM_ALERTS))
                        .withName("slm-alerts-sink"));
        return builder.build();
    }

    /** Each window once, after it closed: end + grace passed in stream time. */
    private static KStream<Windowed<String>, SlmWindowAggregate> closedWindows(
            KGroupedStream<String, ConversationEvent> byModel, TimeWindows windows, String store, Config config) {
        return byModel.windowedBy(windows)
                .aggregate(SlmWindowAggregate::new, (key, event, aggregate) -> aggregate.add(request(event)),
                        Named.as(store + "-aggregate"),
                        Materialized.<String, SlmWindowAggregate, WindowStore<Bytes, byte[]>>as(store)
                                .withKeySerde(Serdes.String()).withValueSerde(AGGREGATE_SERDE)
                                .withRetention(config.retention()))
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName(store + "-until-closed"))
                .toStream(Named.as(store + "-closed"));
    }

    /** A completed request of a named model at a named provider (see the class comment). */
    static boolean counts(ConversationEvent event) {
        return event != null && !isBlank(event.getModel()) && !isBlank(event.getProvider())
                && (event.getStatus() != null || event.getLatencyMs() != null);
    }

    static SlmRequest request(ConversationEvent event) {
        return new SlmRequest(event.getModel(), event.getProvider(), failed(event), event.getLatencyMs(),
                event.getTtftMs(), event.getPromptTokens(), event.getCompletionTokens());
    }

    private static boolean failed(ConversationEvent event) {
        String status = event.getStatus();
        return status != null && FAILED_STATUSES.contains(status.toLowerCase(Locale.ROOT));
    }

    /**
     * What the metrics read. Refused (dead-lettered with the reason): names too long to key by, a provider holding
     * the key's {@code @} (its windows would merge with another model's, or never parse back), and measurements no
     * request can have.
     */
    private static ConversationEvent measurementsOnly(ConversationEvent event) {
        EventNames.require(event);
        if (event.getProvider().indexOf('@') >= 0) {
            throw new IllegalArgumentException("a provider must not hold '@', which parts model@provider keys: "
                    + event.getProvider());
        }
        if (!failed(event)) {
            // a failed request's durations and token counts are not read (placeholders, say latency 0 on a 429 or
            // -1 tokens for "unknown"): only counted, so they must not lose its error
            EventMeasures.requireTokenCounts(event);
            EventMeasures.requireDurations(event);
        }
        return ConversationEvent.newBuilder(event).setContent(null).setCapabilities(List.of())
                .setMetadata(Map.of()).build();
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static void notify(WindowListener listener, Windowed<String> window, SlmWindowAggregate aggregate) {
        SlmWindows.ModelProvider key = SlmWindows.ModelProvider.parse(window.key());
        listener.closed(key.model(), key.provider(), window.window().endTime(), SlmWindows.summary(window, aggregate));
    }

    /**
     * Adds each successful request's tenant to its model's {@link #MODEL_TENANTS} the first time that tenant calls it
     * successfully (a failed call proves no access to a model that may be another tenant's own); and every
     * hour of stream time forgets the models idle for the stores' retention (see {@link #forgetIdleModels}).
     */
    static final class TenantsProcessor implements Processor<String, ConversationEvent, Void, Void> {
        /** Models whose callers this task read lately: most requests change nothing, and need no store read. */
        private static final int KNOWN_MODELS = 10_000;
        private static final Duration IDLE_CHECK = Duration.ofHours(1);
        private final Map<String, ModelCallers> known = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ModelCallers> eldest) {
                return size() > KNOWN_MODELS;
            }
        };
        private final Duration retention;
        private KeyValueStore<String, byte[]> tenants;
        private KeyValueStore<String, byte[]> states;
        private ReadOnlyWindowStore<String, ?> minutes;

        TenantsProcessor(Duration retention) {
            this.retention = retention;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.tenants = context.getStateStore(MODEL_TENANTS);
            this.states = context.getStateStore(ALERT_STATES);
            this.minutes = context.getStateStore(MINUTE_WINDOWS);
            // a task started again (a rebalance, an aborted transaction) reads its store afresh
            known.clear();
            context.schedule(IDLE_CHECK, PunctuationType.STREAM_TIME, this::forgetIdleModels);
        }

        /**
         * Forgets the callers and the alert state of each model with no 1-minute window left in the last
         * {@link Config#retention()} of stream time: events may name any model, and each name kept its entries for
         * good. Nothing of it is left to show then. A model with an alert still raised is kept: only a window can
         * resolve it.
         */
        private void forgetIdleModels(long streamTime) {
            Instant since = Instant.ofEpochMilli(streamTime).minus(retention);
            Instant until = Instant.ofEpochMilli(streamTime);
            Set<String> models = new TreeSet<>();
            for (KeyValueStore<String, byte[]> store : List.of(tenants, states)) {
                try (KeyValueIterator<String, byte[]> all = store.all()) {
                    all.forEachRemaining(kv -> models.add(kv.key));
                }
            }
            int forgotten = 0;
            for (String model : models) {
                byte[] state = states.get(model);
                if (state != null && !AlertState.fromBytes(state).equals(AlertState.ALL_OK)) {
                    continue;
                }
                try (WindowStoreIterator<?> windows = minutes.fetch(model, since, until)) {
                    if (windows.hasNext()) {
                        continue;
                    }
                }
                tenants.delete(model);
                states.delete(model);
                known.remove(model);
                forgotten++;
            }
            if (forgotten > 0) {
                log.info("{}: forgot {} models with no window in the last {}", APPLICATION_ID, forgotten, retention);
            }
        }

        @Override
        public void process(Record<String, ConversationEvent> record) {
            String tenant = record.value().getTenant();
            if (isBlank(tenant) || failed(record.value())) {
                // no tenant to show it to: a platform operator still sees it. A failed call proves no access: a
                // request naming another tenant's fine-tuned model, refused by the provider, would show it that
                // model's metrics
                return;
            }
            ModelCallers before = known.computeIfAbsent(record.key(), model -> ModelCallers.fromBytes(tenants.get(model)));
            ModelCallers now = before.with(tenant);
            if (now != before) {
                tenants.put(record.key(), now.toBytes());
                known.put(record.key(), now);
            }
        }
    }

    /** Runs the alert state machine over a key's closed 1-minute windows, in window order, with its state in a store. */
    static final class AlertProcessor implements Processor<Windowed<String>, SlmWindowAggregate, String, SlmAlert> {
        private final AlertStateMachine machine;
        private ProcessorContext<String, SlmAlert> context;
        private KeyValueStore<String, byte[]> states;
        private KeyValueStore<String, byte[]> tenants;

        AlertProcessor(AlertThresholds thresholds) {
            this.machine = new AlertStateMachine(thresholds);
        }

        @Override
        public void init(ProcessorContext<String, SlmAlert> context) {
            this.context = context;
            this.states = context.getStateStore(ALERT_STATES);
            this.tenants = context.getStateStore(MODEL_TENANTS);
        }

        @Override
        public void process(Record<Windowed<String>, SlmWindowAggregate> record) {
            String key = record.key().key();
            SlmWindows.ModelProvider subject = SlmWindows.ModelProvider.parse(key);
            byte[] stored = states.get(key);
            AlertState before = stored == null ? null : AlertState.fromBytes(stored);
            AlertStateMachine.Evaluation evaluation = machine.evaluate(subject.model(), subject.provider(), before,
                    SlmWindows.summary(record.key(), record.value()));
            if (evaluation.transitions().isEmpty()) {
                return;
            }
            states.put(key, evaluation.state().toBytes());
            Instant start = record.key().window().startTime();
            Instant end = record.key().window().endTime();
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            ModelCallers callers = ModelCallers.fromBytes(tenants.get(key));
            for (AlertTransition t : evaluation.transitions()) {
                SlmAlert alert = SlmAlert.newBuilder()
                        // one change per metric per window: the id names it, so a copy would be recognisable
                        .setAlertId(key + "/" + t.metric().wireName() + "/" + start.toEpochMilli())
                        .setModel(subject.model())
                        .setProvider(subject.provider())
                        .setMetric(t.metric().wireName())
                        .setLevel(io.soma.streams.avro.AlertLevel.valueOf(t.level().name()))
                        .setPreviousLevel(io.soma.streams.avro.AlertLevel.valueOf(t.previousLevel().name()))
                        .setValue(t.value())
                        .setThreshold(t.threshold())
                        .setWindowStart(start)
                        .setWindowEnd(end)
                        .setRaisedAt(now)
                        .setMessage(t.message(key))
                        .setTenants(callers.tenants())
                        .setEveryTenant(callers.everyTenant())
                        .build();
                context.forward(new Record<>(key, alert, record.timestamp()));
            }
        }
    }
}
