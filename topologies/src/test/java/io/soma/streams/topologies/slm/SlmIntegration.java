package io.soma.streams.topologies.slm;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The SLM app on the shared real broker and registry. Every scenario takes its own stretch of event time
 * ({@link #reserve}), later than any earlier scenario's, so that apps reading {@code conversation.events}
 * from the start never see an earlier scenario's events as newer than theirs. The stretches lie in the past
 * (the broker refuses record timestamps more than an hour ahead, and repartition topics carry event time).
 */
final class SlmIntegration {
    private static final CloseOptions LEAVE_GROUP = CloseOptions
            .groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30));
    private static Instant nextFree;
    private static SlmIntegration shared;

    final LocalStack stack;
    final AppSerdes serdes;
    private final KafkaProducer<String, SpecificRecord> producer;

    private SlmIntegration(LocalStack stack, SchemaRegistryClient registry) {
        this.stack = stack;
        this.serdes = new AppSerdes(registry);
        this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(), "linger.ms", 5),
                new StringSerializer(), new io.soma.streams.schemas.serde.AvroSerializer<>(registry, false, true));
    }

    static synchronized SlmIntegration shared() {
        if (shared == null) {
            LocalStack stack = LocalStack.shared();
            SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
            new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
            TopicProvisioner.ensure(stack.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
            shared = new SlmIntegration(stack, registry);
        }
        return shared;
    }

    static Path workDir(String name) {
        return Path.of(System.getProperty("soma.test.work.dir", "target/test-work")).resolve(name + "-" + UUID.randomUUID());
    }

    /** A whole hour of event time, after every stretch handed out before. */
    static synchronized Instant reserve() {
        if (nextFree == null) {
            nextFree = Instant.now().minus(Duration.ofHours(12)).truncatedTo(ChronoUnit.HOURS);
        }
        Instant start = nextFree;
        nextFree = nextFree.plus(Duration.ofHours(1));
        return start;
    }

    KafkaStreams start(String applicationId, SlmApp.Config config, Path stateDir) {
        KafkaStreams streams = new KafkaStreams(SlmApp.build(config, serdes),
                StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir).forApp(applicationId));
        // as the process runs its apps: a failed thread is replaced and its aborted batch redone (two instances
        // registering the repartition subject at the same moment: the registry answers one of them 409)
        streams.setUncaughtExceptionHandler(e -> StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD);
        streams.start();
        return streams;
    }

    static void awaitRunning(List<KafkaStreams> instances) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline && !instances.stream().allMatch(s -> s.state() == KafkaStreams.State.RUNNING
                && s.metadataForLocalThreads().stream().anyMatch(t -> !t.activeTasks().isEmpty()))) {
            Thread.sleep(100);
        }
        instances.forEach(s -> {
            if (s.state() != KafkaStreams.State.RUNNING) {
                throw new AssertionError("app not running: " + s.state());
            }
        });
    }

    static void close(KafkaStreams streams) {
        streams.close(LEAVE_GROUP);
    }

    /** Sends the events keyed by session, as the edge and the replayer do, and waits until the broker has them. */
    void send(List<ConversationEvent> events) {
        events.forEach(e -> producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), e.getSessionId(), e)));
        producer.flush();
    }

    /**
     * Waits until the apps hold {@code requests} requests of {@code key} in the 1-minute window starting at
     * {@code windowStart} (the events of a session-keyed topic reach the window from several partitions: the
     * next minute is sent only when this one is complete, so none of them arrives after it closed).
     *
     * @return the instance whose store holds the window
     */
    static KafkaStreams awaitWindow(List<KafkaStreams> instances, String key, Instant windowStart, long requests)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        long seen = 0;
        while (System.currentTimeMillis() < deadline) {
            for (KafkaStreams instance : instances) {
                SlmWindowAggregate window = localWindow(instance, key, windowStart);
                seen = window == null ? seen : window.requests();
                if (seen == requests) {
                    return instance;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("window " + windowStart + " of " + key + " holds " + seen + " requests, not " + requests);
    }

    private static SlmWindowAggregate localWindow(KafkaStreams instance, String key, Instant windowStart) {
        try {
            ReadOnlyWindowStore<String, SlmWindowAggregate> store = instance.store(StoreQueryParameters.fromNameAndType(
                    SlmApp.MINUTE_WINDOWS, QueryableStoreTypes.windowStore()));
            return store.fetch(key, windowStart.toEpochMilli());
        } catch (InvalidStateStoreException e) {
            return null;
        }
    }

    /**
     * Reads {@code topic} from the start with read_committed until {@code n} wanted records came, then a second
     * more, so that a duplicate would show.
     */
    <V extends SpecificRecord> List<V> read(Topics.Topic<V> topic, Predicate<V> wanted, int n) {
        List<V> found = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "slm-it-reader-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), serdes.value(topic).deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.currentTimeMillis() + 90_000;
            long settle = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, settle)) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (wanted.test(r.value())) {
                        found.add(r.value());
                    }
                });
                if (found.size() >= n && settle == Long.MAX_VALUE) {
                    settle = System.currentTimeMillis() + 1_000;
                }
            }
        }
        return found;
    }
}
