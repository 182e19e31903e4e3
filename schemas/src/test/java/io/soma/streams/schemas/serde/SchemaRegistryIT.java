package io.soma.streams.schemas.serde;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DeadLetterQueueHandler;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.v1.Probe;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TcpProxy;
import io.soma.streams.testkit.TestPaths;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The serde, the registrar and the dead-letter handler against the real broker and the real schema registry. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SchemaRegistryIT {
    private static LocalStack stack;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void startStack() {
        stack = LocalStack.shared();
        registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
    }

    @Test
    void shouldRoundTripRealTraceEventsThroughBrokerAndRegistry() {
        String topic = uniqueTopic("it.conversation.events");
        createTopics(topic);
        List<ConversationEvent> events = AzureTraceSample.firstEvents(20);
        Map<String, Integer> ids = new SchemaRegistrar(registry).registerAll(Map.of(topic, ConversationEvent.getClassSchema()));

        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(),
                new AvroSerde<>(ConversationEvent.class, registry, false).serializer())) {
            events.forEach(e -> producer.send(new ProducerRecord<>(topic, e.getSessionId(), e)));
        }
        // the reading side configured the Kafka way, as Streams and consumer configs do
        AvroSerde<ConversationEvent> configured = new AvroSerde<>(ConversationEvent.class);
        configured.configure(Map.of(SchemaRegistryConfig.URL, stack.schemaRegistryUrl()), false);
        List<ConversationEvent> read = readAll(topic, configured.deserializer(), events.size());

        assertThat(read).containsExactlyElementsOf(events);
        assertThat(registry.latest(Subjects.value(topic)).id()).isEqualTo(ids.get(topic));
        assertThat(registry.latest(Subjects.value(topic)).version()).isEqualTo(1);
        assertThat(registry.compatibility(Subjects.value(topic))).contains(CompatibilityLevel.BACKWARD);
    }

    @Test
    void shouldAcceptACompatibleChangeAndReadRecordsOfBothVersionsWithEither() {
        String topic = uniqueTopic("it.probe");
        createTopics(topic);
        SchemaRegistrar registrar = new SchemaRegistrar(registry);
        int v1Id = registrar.registerAll(Map.of(topic, Probe.getClassSchema())).get(topic);
        int v2Id = registrar.registerAll(Map.of(topic, io.soma.streams.schemas.serde.v2.Probe.getClassSchema())).get(topic);
        Instant at = Instant.parse("2023-11-16T18:15:46.680Z");

        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "p-1", new AvroSerializer<Probe>(registry, false, false)
                    .serialize(topic, new Probe("p-1", 374L, at))));
            producer.send(new ProducerRecord<>(topic, "p-2", new AvroSerializer<io.soma.streams.schemas.serde.v2.Probe>(
                    registry, false, false).serialize(topic, new io.soma.streams.schemas.serde.v2.Probe("p-2", 44L, at, "gpt-4"))));
        }
        List<Probe> asV1 = readAll(topic, new AvroDeserializer<>(Probe.class, registry), 2);
        List<io.soma.streams.schemas.serde.v2.Probe> asV2 = readAll(topic,
                new AvroDeserializer<>(io.soma.streams.schemas.serde.v2.Probe.class, registry), 2);

        assertThat(v2Id).isNotEqualTo(v1Id);
        // an app restart registers again: same id, no new version
        assertThat(registrar.registerAll(Map.of(topic, io.soma.streams.schemas.serde.v2.Probe.getClassSchema())))
                .containsEntry(topic, v2Id);
        assertThat(registry.latest(Subjects.value(topic)).version()).isEqualTo(2);
        assertThat(asV1).containsExactly(new Probe("p-1", 374L, at), new Probe("p-2", 44L, at));
        assertThat(asV2).extracting(io.soma.streams.schemas.serde.v2.Probe::getModel).containsExactly(null, "gpt-4");
    }

    @Test
    void shouldRejectAnIncompatibleChangeNamingTheTopic() {
        String topic = uniqueTopic("it.probe.breaking");
        SchemaRegistrar registrar = new SchemaRegistrar(registry);
        registrar.registerAll(Map.of(topic, Probe.getClassSchema()));
        Map<String, Schema> breaking = Map.of(topic, io.soma.streams.schemas.serde.v3.Probe.getClassSchema());

        assertThatThrownBy(() -> registrar.registerAll(breaking))
                .isInstanceOf(SchemaRegistrationException.class)
                .hasMessageContaining("BACKWARD")
                .hasMessageContaining("topic " + topic)
                .hasMessageContaining("HTTP 409");
        assertThat(registry.latest(Subjects.value(topic)).schema()).isEqualTo(Probe.getClassSchema());
    }

    /** Every start set BACKWARD, loosening the transitive rule an operator gave a compacted topic's subject. */
    @Test
    void shouldKeepAStricterRuleAnOperatorGaveTheSubjectAndRaiseAWeakerOne() {
        String strict = uniqueTopic("it.probe.strict");
        String loose = uniqueTopic("it.probe.loose");
        SchemaRegistrar registrar = new SchemaRegistrar(registry);
        registrar.registerAll(Map.of(strict, Probe.getClassSchema(), loose, Probe.getClassSchema()));
        registry.setCompatibility(Subjects.value(strict), CompatibilityLevel.BACKWARD_TRANSITIVE);
        registry.setCompatibility(Subjects.value(loose), CompatibilityLevel.NONE);

        registrar.registerAll(Map.of(strict, Probe.getClassSchema(), loose, Probe.getClassSchema()));

        assertThat(registry.compatibility(Subjects.value(strict))).contains(CompatibilityLevel.BACKWARD_TRANSITIVE);
        assertThat(registry.compatibility(Subjects.value(loose))).contains(CompatibilityLevel.BACKWARD);
    }

    @Test
    void shouldWaitOutARegistryThatIsAwayAsItStartsRatherThanFail() throws Exception {
        String topic = uniqueTopic("it.probe.patient");
        try (TcpProxy proxy = TcpProxy.to(URI.create(stack.schemaRegistryUrl()))) {
            proxy.cut();
            // no retries inside the client: every attempt of the registrar's is one refused connection
            SchemaRegistrar registrar = new SchemaRegistrar(new SchemaRegistryClient(
                    SchemaRegistryConfig.oneAttempt(proxy.url())));
            CompletableFuture<Map<String, Integer>> registered = CompletableFuture.supplyAsync(
                    () -> registrar.registerAll(Map.of(topic, Probe.getClassSchema())));

            Await.until("the registrar to try again and again", Duration.ofSeconds(60), () -> proxy.refused() >= 3);
            assertThat(registered).isNotDone();
            proxy.restore();

            assertThat(registered.get(60, TimeUnit.SECONDS))
                    .containsEntry(topic, registry.lookup(Subjects.value(topic), Probe.getClassSchema()));
        }
    }

    /**
     * {@code HttpRequest.timeout} ends at a reply's headers: a registry that stalled after them (a partition mid-reply)
     * held the caller, a stream thread reading a record, for good. The whole exchange is bounded now.
     */
    @Test
    void shouldGiveUpOnAReplyThatStallsAfterItsHeaders() throws Exception {
        int id = new SchemaRegistrar(registry).registerAll(Map.of(uniqueTopic("it.stalled"),
                ConversationEvent.getClassSchema())).values().iterator().next();
        try (TcpProxy proxy = TcpProxy.to(URI.create(stack.schemaRegistryUrl()))) {
            SchemaRegistryConfig config = new SchemaRegistryConfig(proxy.url(), null, 0, Duration.ofSeconds(2));
            new SchemaRegistryClient(config).schemaById(id);
            long reply = proxy.replyBytesPassed();
            // the same reply again, on a new connection, cut short of its last bytes: headers whole, body not
            proxy.stallRepliesAfter(reply - 10);
            CompletableFuture<Schema> stalled = CompletableFuture.supplyAsync(
                    () -> new SchemaRegistryClient(config).schemaById(id));

            assertThatThrownBy(() -> stalled.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SchemaRegistryException.class)
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).status())
                            .isEqualTo(SchemaRegistryException.NO_RESPONSE));
        }
    }

    @Test
    void shouldNameAnUnknownSchemaId() {
        byte[] payload = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654_321).putInt(0).array();

        assertThatThrownBy(() -> new AvroDeserializer<>(Probe.class, registry).deserialize("it.unknown", payload))
                .isInstanceOf(UnknownSchemaIdException.class)
                .hasMessageContaining("987654321");
    }

    @Test
    void shouldDeadLetterPoisonRecordsAndProcessTheGoodOnes() {
        String input = uniqueTopic("it.poison.in");
        String output = uniqueTopic("it.poison.out");
        String appId = "it-dlq-" + System.nanoTime();
        createTopics(input, output, Topics.DEAD_LETTER);
        List<ConversationEvent> good = AzureTraceSample.firstEvents(3);
        AvroSerializer<ConversationEvent> serializer = new AvroSerializer<>(registry, false, true);
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
        byte[] unknownId = ByteBuffer.allocate(8).put((byte) 0).putInt(987_654_322).put(new byte[]{2, 4, 6}).array();
        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(input, "s", serializer.serialize(input, good.get(0))));
            producer.send(new ProducerRecord<>(input, "s", garbage));
            producer.send(new ProducerRecord<>(input, "s", serializer.serialize(input, good.get(1))));
            producer.send(new ProducerRecord<>(input, "s", unknownId));
            producer.send(new ProducerRecord<>(input, "s", serializer.serialize(input, good.get(2))));
        }

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), new AvroSerde<>(ConversationEvent.class, registry, false)))
                .mapValues(ConversationEvent::getEventId)
                .to(output, Produced.with(Serdes.String(), Serdes.String()));
        KafkaStreams streams = new KafkaStreams(builder.build(), streamsConfig(appId));
        try {
            streams.start();
            List<String> processed = CommittedRecords.awaitValues(stack.bootstrapServers(), output,
                    new StringDeserializer(), new StringDeserializer(), v -> true, 3);
            List<ConsumerRecord<String, byte[]>> deadLetters = deadLettersOf(appId, 2);

            assertThat(processed).containsExactlyElementsOf(good.stream().map(ConversationEvent::getEventId).toList());
            assertThat(deadLetters).extracting(ConsumerRecord::value).containsExactly(garbage, unknownId);
            assertThat(deadLetters).extracting(d -> header(d, DlqHeaders.EXCEPTION))
                    .containsExactly(BadMagicByteException.class.getName(), UnknownSchemaIdException.class.getName());
            assertThat(deadLetters).extracting(d -> header(d, DlqHeaders.SOURCE_OFFSET)).containsExactly("1", "3");
            assertThat(deadLetters).allSatisfy(d -> {
                assertThat(d.key()).isEqualTo("s");
                assertThat(header(d, DlqHeaders.SOURCE_TOPIC)).isEqualTo(input);
                assertThat(header(d, DlqHeaders.SOURCE_PARTITION)).isEqualTo("0");
                assertThat(header(d, DlqHeaders.REASON)).contains("record on " + input);
            });
        } finally {
            // bounded: KafkaStreams.close() waits for ever
            StreamsApps.closeLeavingGroup(streams);
        }
    }

    /** The real serializer cannot write a record a processor left a required field empty in: its source is set aside. */
    @Test
    void shouldDeadLetterARecordWhoseOutputTheSerializerCannotWrite() {
        String input = uniqueTopic("it.unwritable.in");
        String output = uniqueTopic("it.unwritable.out");
        String appId = "it-dlq-out-" + System.nanoTime();
        createTopics(input, output, Topics.DEAD_LETTER);
        Instant at = Instant.parse("2023-11-16T18:15:46.680Z");
        try (var producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new StringSerializer())) {
            Stream.of("p-1", "", "p-3").forEach(id -> producer.send(new ProducerRecord<>(input, "s", id)));
        }

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                // an empty id becomes a missing one, which the schema does not allow
                .mapValues(id -> new Probe(id.isEmpty() ? null : id, 1L, at))
                .to(output, Produced.with(Serdes.String(), new AvroSerde<>(Probe.class, registry, false)));
        KafkaStreams streams = new KafkaStreams(builder.build(), streamsConfig(appId));
        try {
            streams.start();
            List<Probe> written = readAll(output, new AvroDeserializer<>(Probe.class, registry), 2);
            List<ConsumerRecord<String, byte[]>> deadLetters = deadLettersOf(appId, 1);

            assertThat(written).extracting(Probe::getId).containsExactly("p-1", "p-3");
            assertThat(deadLetters).singleElement().satisfies(d -> {
                assertThat(d.key()).isEqualTo("s");
                assertThat(d.value()).isEmpty();
                assertThat(header(d, DlqHeaders.SOURCE_OFFSET)).isEqualTo("1");
                assertThat(header(d, DlqHeaders.REASON)).contains("cannot write " + Probe.getClassSchema().getFullName());
            });
        } finally {
            StreamsApps.closeLeavingGroup(streams);
        }
    }

    private static Properties streamsConfig(String appId) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        config.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        config.put(StreamsConfig.STATE_DIR_CONFIG, TestPaths.newWorkDir("streams").toString());
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return config;
    }

    private static Properties producerConfig() {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        // the broker does not auto-create topics: a missing one should fail fast, not block a minute per send
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        return config;
    }

    /** The first {@code n} values of {@code topic} (and any that follow within the settle time). */
    private static <V> List<V> readAll(String topic, Deserializer<V> values, int n) {
        return CommittedRecords.awaitValues(stack.bootstrapServers(), topic, new StringDeserializer(), values, v -> true, n);
    }

    /** The first {@code n} dead letters {@code appId} sent. */
    private static List<ConsumerRecord<String, byte[]>> deadLettersOf(String appId, int n) {
        return CommittedRecords.await(stack.bootstrapServers(), Topics.DEAD_LETTER, new StringDeserializer(),
                new ByteArrayDeserializer(), d -> appId.equals(header(d, DlqHeaders.APP)), n,
                CommittedRecords.DEFAULT_TIMEOUT);
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** One partition each; the DLQ topic may exist already. Listed before a Streams app starts on them. */
    private static void createTopics(String... names) {
        KafkaState.createTopics(stack.bootstrapServers(),
                Stream.of(names).map(name -> new NewTopic(name, 1, (short) 1)).toArray(NewTopic[]::new));
    }

    private static String uniqueTopic(String prefix) {
        return prefix + "." + System.nanoTime();
    }
}
