package io.soma.streams.topologies.slm;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.GroupStart;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The SLM app on the shared real broker and registry. An app starts at the end of {@code conversation.events}
 * ({@link #start}), and every scenario takes its own stretch of event time ({@link #reserve}), later than any
 * earlier scenario's: no app sees events older than its own as newer than theirs. The stretches lie in the past
 * (the broker refuses record timestamps more than an hour ahead, and repartition topics carry event time).
 */
final class SlmIntegration {
    private static final Duration WINDOW_TIMEOUT = Duration.ofSeconds(60);
    private static Instant nextFree;
    private static SlmIntegration shared;

    final LocalStack stack;
    final AppSerdes serdes;
    private final KafkaProducer<String, SpecificRecord> producer;

    private SlmIntegration(LocalStack stack, SchemaRegistryClient registry) {
        this.stack = stack;
        this.serdes = new AppSerdes(registry);
        this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(), "linger.ms", 5),
                new StringSerializer(), new AvroSerializer<>(registry, false, true));
    }

    static synchronized SlmIntegration shared() {
        if (shared == null) {
            LocalStack stack = ProvisionedStack.shared();
            shared = new SlmIntegration(stack, new SchemaRegistryClient(stack.schemaRegistryUrl()));
        }
        return shared;
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

    /**
     * Starts an instance; a new application id reads only what is sent from here on. Other test classes on this
     * broker write events stamped with the present (the budget tests), and read from the start they would move
     * the windows' stream time past the scenario's stretch and drop its windows as expired.
     */
    KafkaStreams start(String applicationId, SlmApp.Config config, Path stateDir) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            GroupStart.atEndUnlessCommitted(admin, applicationId, Topics.CONVERSATION_EVENTS.name(), WINDOW_TIMEOUT);
        }
        KafkaStreams streams = new KafkaStreams(SlmApp.build(config, serdes),
                StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir).forApp(applicationId));
        // as the process runs its apps: a failed thread is replaced and its aborted batch redone (two instances
        // registering the repartition subject at the same moment: the registry answers one of them 409)
        streams.setUncaughtExceptionHandler(e -> StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD);
        streams.start();
        return streams;
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
    static KafkaStreams awaitWindow(List<KafkaStreams> instances, String key, Instant windowStart, long requests) {
        List<Long> held = Await.value("window " + windowStart + " of " + key + " to hold " + requests
                        + " requests on one of the instances", WINDOW_TIMEOUT,
                () -> instances.stream().map(instance -> requestsIn(instance, key, windowStart)).toList(),
                perInstance -> perInstance.contains(requests));
        return instances.get(held.indexOf(requests));
    }

    /** The requests the instance's store holds in the window: 0 where it has none or its store is not queryable yet. */
    private static long requestsIn(KafkaStreams instance, String key, Instant windowStart) {
        try {
            ReadOnlyWindowStore<String, SlmWindowAggregate> store = instance.store(StoreQueryParameters.fromNameAndType(
                    SlmApp.MINUTE_WINDOWS, QueryableStoreTypes.windowStore()));
            SlmWindowAggregate window = store.fetch(key, windowStart.toEpochMilli());
            return window == null ? 0 : window.requests();
        } catch (InvalidStateStoreException e) {
            return 0;
        }
    }

    /**
     * Reads {@code topic} from the start with read_committed until {@code n} wanted records came, then a second
     * more, so that a duplicate would show.
     */
    <V extends SpecificRecord> List<V> read(Topics.Topic<V> topic, Predicate<V> wanted, int n) {
        return CommittedRecords.awaitValues(stack.bootstrapServers(), topic.name(), new StringDeserializer(),
                serdes.value(topic).deserializer(), wanted, n);
    }
}
