package io.soma.streams.topologies.forecast;

import io.soma.streams.schemas.GroupedKey;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TokenForecast;
import io.soma.streams.avro.TokenUsageWindow;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.runtime.AdminFutures;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.GroupStart;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Replays conversation events through the real forecast topology on a real broker and registry, as fast as it
 * goes, and collects what it publishes. Used by the integration tests (a few tenants) and, through
 * {@link #main(String[])}, for the whole ServeGen trace (docs/forecasting.md).
 *
 * <p>A replay's app starts at the current end of {@code conversation.events}, so events other replays or apps left
 * on a shared topic neither move its stream time nor appear in its windows; a restarted app keeps its own committed
 * position.
 */
public final class ForecastReplay implements AutoCloseable {
    /** Leaving the group lets a restarted instance take over at once instead of after the session timeout. */
    public static final CloseOptions LEAVE_GROUP = CloseOptions
            .groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30));
    private static final Logger log = LoggerFactory.getLogger(ForecastReplay.class);
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);
    /** How long a config change the controller accepted may take to show on the broker. */
    private static final Duration CONFIG_PROPAGATION = Duration.ofSeconds(30);
    /** The topics where the replay's records carry the trace's event time (2025) as their Kafka timestamp. */
    private static final List<String> TRACE_TOPICS = List.of(Topics.CONVERSATION_EVENTS.name(),
            Topics.TOKEN_USAGE.name(), Topics.TOKEN_FORECASTS.name());

    private final String bootstrapServers;
    private final String schemaRegistryUrl;
    private final AppSerdes serdes;
    private final Admin admin;
    private final KafkaProducer<String, ConversationEvent> producer;

    public ForecastReplay(String bootstrapServers, String schemaRegistryUrl) {
        this.bootstrapServers = bootstrapServers;
        this.schemaRegistryUrl = schemaRegistryUrl;
        this.serdes = new AppSerdes(new SchemaRegistryClient(schemaRegistryUrl));
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers));
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"),
                Serdes.String().serializer(), serdes.value(Topics.CONVERSATION_EVENTS).serializer());
    }

    /**
     * Refuses to replay onto topics whose time retention would delete the trace's records. They carry the trace's
     * event time as their timestamp, so a topic keeping 7 days (Kafka's default) deletes them all at its next
     * retention check (every 5 minutes by default), in the middle of a replay: the app then never sees the rest
     * of the trace, and the replay waits for windows that never come.
     */
    public void requireRetentionCovering(Instant oldestEvent) {
        long age = Duration.between(oldestEvent, Instant.now()).toMillis();
        // a retention just over the trace's age would still delete its oldest records a little later, mid-replay
        long needed = age + Duration.ofDays(1).toMillis();
        List<String> tooShort = new ArrayList<>();
        retentionMs().forEach((topic, retention) -> {
            if (retention >= 0 && retention <= needed) {
                tooShort.add(topic + " (retention.ms=" + retention + ")");
            }
        });
        if (!tooShort.isEmpty()) {
            throw new IllegalStateException("the trace's records are " + Duration.ofMillis(age).toDays()
                    + " days old, so these topics would delete them during the replay: " + tooShort
                    + "; set retention.ms=-1 on them (the evaluation's --keep-trace-records does) or replay on "
                    + "a stack of its own");
        }
    }

    /**
     * Sets {@code retention.ms=-1} on the topics the trace's records go through (a stack kept for replays), and
     * returns once the broker shows it: the controller accepts a change before the broker applies it, and
     * {@link #requireRetentionCovering} reading the old value back would refuse the replay.
     */
    public void keepRecordsOfAnyAge() {
        Map<ConfigResource, Collection<AlterConfigOp>> keepAll = new HashMap<>();
        TRACE_TOPICS.forEach(topic -> keepAll.put(new ConfigResource(ConfigResource.Type.TOPIC, topic),
                List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, "-1"), AlterConfigOp.OpType.SET))));
        completed(admin.incrementalAlterConfigs(keepAll).all(), "cannot set retention.ms on " + TRACE_TOPICS);
        long deadline = System.nanoTime() + CONFIG_PROPAGATION.toNanos();
        Map<String, Long> retention = retentionMs();
        while (retention.values().stream().anyMatch(ms -> ms != -1)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker accepted retention.ms=-1 but still shows " + retention
                        + " after " + CONFIG_PROPAGATION);
            }
            pause();
            retention = retentionMs();
        }
    }

    private Map<String, Long> retentionMs() {
        List<ConfigResource> topics = TRACE_TOPICS.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        Map<String, Long> retention = new TreeMap<>();
        completed(admin.describeConfigs(topics).all(), "cannot read retention.ms of " + TRACE_TOPICS)
                .forEach((resource, config) -> retention.put(resource.name(),
                        Long.parseLong(config.get(TopicConfig.RETENTION_MS_CONFIG).value())));
        return retention;
    }

    /** Starts the app (at the topic's end unless it has committed offsets) and waits until it runs. */
    public KafkaStreams start(String applicationId, ForecastApp.Config config, Path stateDir) {
        positionAtEndUnlessCommitted(applicationId);
        StreamsSettings settings = StreamsSettings.local(bootstrapServers, schemaRegistryUrl, stateDir);
        KafkaStreams streams = new KafkaStreams(ForecastApp.build(config, serdes), settings.forApp(applicationId));
        streams.start();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                streams.close(LEAVE_GROUP);
                throw new IllegalStateException("forecast app " + applicationId + " did not start: " + streams.state());
            }
            pause();
        }
        return streams;
    }

    /** Sends the events in order (keyed by session) and waits until Kafka has them all. */
    public void send(List<ConversationEvent> events) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(events.size());
        for (ConversationEvent e : events) {
            sent.add(producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), null,
                    e.getTimestamp().toEpochMilli(), e.getSessionId(), e)));
        }
        producer.flush();
        sent.forEach(s -> completed(s, "Kafka refused a replayed event"));
    }

    /** A reader of the app's outputs for these tenants, from the current end of both topics. */
    public Outputs outputs(Set<String> tenants) {
        return new Outputs(tenants);
    }

    /**
     * How many usage windows of each tenant close once all {@code events} are processed: a window closes when its
     * partition's stream time (the largest event time on that partition of the repartition topic, which has as
     * many partitions as {@code conversation.events}) reaches its end plus the grace period.
     */
    public Map<String, List<Long>> closedWindowStarts(List<ConversationEvent> events, ForecastApp.Config config) {
        int partitions = partitionsOf(Topics.CONVERSATION_EVENTS.name());
        Function<String, Integer> partitionOf = tenant ->
                BuiltInPartitioner.partitionForKey(tenant.getBytes(StandardCharsets.UTF_8), partitions);
        Map<Integer, Long> streamTime = new HashMap<>();
        events.forEach(e -> streamTime.merge(partitionOf.apply(e.getTenant()), e.getTimestamp().toEpochMilli(), Math::max));
        long windowMs = config.window().toMillis();
        Map<String, List<Long>> closed = new HashMap<>();
        for (ConversationEvent e : events) {
            long start = Math.floorDiv(e.getTimestamp().toEpochMilli(), windowMs) * windowMs;
            if (start + windowMs + config.grace().toMillis() <= streamTime.get(partitionOf.apply(e.getTenant()))) {
                List<Long> starts = closed.computeIfAbsent(e.getTenant(), t -> new ArrayList<>());
                if (starts.isEmpty() || starts.get(starts.size() - 1) != start) {
                    starts.add(start);
                }
            }
        }
        return closed;
    }

    /** The tenant's forecasters as the app's store holds them now (this instance holds every partition). */
    public static Map<ForecastKey, TokenForecaster> storedForecasters(KafkaStreams streams, String tenant) {
        ReadOnlyKeyValueStore<String, TokenForecaster> store = streams.store(StoreQueryParameters
                .fromNameAndType(ForecastApp.FORECASTER_STORE, QueryableStoreTypes.<String, TokenForecaster>keyValueStore()));
        Map<ForecastKey, TokenForecaster> models = new TreeMap<>(Comparator.comparing(ForecastKey::storeKey));
        try (KeyValueIterator<String, TokenForecaster> found = store.prefixScan(GroupedKey.prefix(tenant),
                Serdes.String().serializer())) {
            found.forEachRemaining(kv -> models.put(ForecastKey.fromStoreKey(kv.key), kv.value));
        }
        return models;
    }

    /** Commits the current end of {@code conversation.events} as the app's position, unless it has one. */
    public void positionAtEndUnlessCommitted(String applicationId) {
        GroupStart.atEndUnlessCommitted(admin, applicationId, Topics.CONVERSATION_EVENTS.name(), PATIENCE);
    }

    private int partitionsOf(String topic) {
        return completed(admin.describeTopics(List.of(topic)).allTopicNames(), "cannot describe " + topic)
                .get(topic).partitions().size();
    }

    /** The future's value, or an IllegalStateException saying {@code failure} and why; waits {@link #PATIENCE} at most. */
    private static <T> T completed(Future<T> future, String failure) {
        return AdminFutures.completed(future, failure, PATIENCE);
    }

    @Override
    public void close() {
        producer.close();
        admin.close();
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Committed {@code token.usage} and {@code token.forecasts} records of some tenants, as they arrive. */
    public final class Outputs implements AutoCloseable {
        private final Set<String> tenants;
        private final KafkaConsumer<String, Object> consumer;
        private final List<TokenUsageWindow> usage = new ArrayList<>();
        private final List<TokenForecast> forecasts = new ArrayList<>();

        private Outputs(Set<String> tenants) {
            this.tenants = Set.copyOf(tenants);
            var usageSerde = serdes.value(Topics.TOKEN_USAGE).deserializer();
            var forecastSerde = serdes.value(Topics.TOKEN_FORECASTS).deserializer();
            this.consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                    Serdes.String().deserializer(),
                    (topic, bytes) -> topic.equals(Topics.TOKEN_USAGE.name())
                            ? usageSerde.deserialize(topic, bytes) : forecastSerde.deserialize(topic, bytes));
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(Topics.TOKEN_USAGE.name(), Topics.TOKEN_FORECASTS.name())) {
                for (int p = 0; p < partitionsOf(topic); p++) {
                    partitions.add(new TopicPartition(topic, p));
                }
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }

        /**
         * Waits until at least {@code usageCount} usage windows and {@code forecastCount} forecasts have arrived;
         * gives up when nothing new arrived for two minutes.
         */
        public Outputs await(int usageCount, int forecastCount) {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            long nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
            while ((usage.size() < usageCount || forecasts.size() < forecastCount) && System.nanoTime() < deadline) {
                int before = usage.size() + forecasts.size();
                var records = consumer.poll(Duration.ofMillis(100));
                records.forEach(r -> {
                    if (!tenants.contains(r.key())) {
                        return;
                    }
                    if (r.value() instanceof TokenUsageWindow w) {
                        usage.add(w);
                    } else {
                        forecasts.add((TokenForecast) r.value());
                    }
                });
                // only this replay's tenants count as progress: on a running stack other tenants' records never stop
                if (usage.size() + forecasts.size() > before) {
                    deadline = System.nanoTime() + PATIENCE.toNanos();
                }
                if (System.nanoTime() >= nextProgress) {
                    log.info("replay outputs: {} of {} usage windows, {} of {} forecasts", usage.size(), usageCount,
                            forecasts.size(), forecastCount);
                    nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
                }
            }
            if (usage.size() < usageCount || forecasts.size() < forecastCount) {
                throw new IllegalStateException("nothing new for " + PATIENCE + " while waiting for " + usageCount + " usage windows and "
                        + forecastCount + " forecasts, got " + usage.size() + " and " + forecasts.size());
            }
            return this;
        }

        public List<TokenUsageWindow> usage() {
            return List.copyOf(usage);
        }

        public List<TokenForecast> forecasts() {
            return List.copyOf(forecasts);
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
