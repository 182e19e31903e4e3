package io.soma.streams.stores.archive;

import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingAuditDetails;
import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.devstack.LocalServices;
import io.soma.streams.schemas.serde.AvroCodec;
import io.soma.streams.schemas.serde.AvroDeserializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archiver against a real Kafka broker and the real PostgreSQL. The records are the generated Avro classes in
 * Avro's single-object encoding, read by a test-local deserializer: the registry-aware serde is not available to
 * this module yet, and the archiver is indifferent to the wire format (it takes the deserializers it is given).
 */
class AuditArchiverIT {
    private static final RetryBackoff FAST_RETRY = new RetryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** The outage test's own topic, so the two tests' records never meet. */
    private static final String OUTAGE_DECISIONS = "outage.policy.decisions";
    private static final String REGISTRY_DECISIONS = "registry.policy.decisions";
    private static EmbeddedKafkaBroker broker;
    private static ArchiveDatabase database;
    private static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work"))
                .resolve("archiver-" + UUID.randomUUID());
        broker = EmbeddedKafkaBroker.start(dir, 0, Map.of());
        database = ArchiveDatabase.migrated("archiver");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(AvroAuditTopics.POLICY_DECISIONS, 3, (short) 1),
                    new NewTopic(AvroAuditTopics.TRAINING_AUDIT, 1, (short) 1),
                    new NewTopic(AvroAuditTopics.IDENTITY_AUDIT, 1, (short) 1),
                    new NewTopic(OUTAGE_DECISIONS, 2, (short) 1),
                    new NewTopic(REGISTRY_DECISIONS, 1, (short) 1))).all().get();
        }
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    @AfterAll
    static void stop() throws Exception {
        producer.close();
        database.close();
        broker.close();
    }

    @Test
    void shouldHoldExactlyOneRowPerRecordAfterTheSameRecordsAreConsumedTwice() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 200);
        for (TraceAuditRecords.Request request : requests) {
            send(AvroAuditTopics.POLICY_DECISIONS, request.tenant(), PolicyDecision.getEncoder().encode(decision(request)));
        }
        for (TraceAuditRecords.Request request : requests.subList(0, 20)) {
            send(AvroAuditTopics.TRAINING_AUDIT, request.tenant(), TrainingAudit.getEncoder().encode(trainingEnabled(request)));
            send(AvroAuditTopics.IDENTITY_AUDIT, request.tenant(), IdentityAudit.getEncoder().encode(tokenIssued(request)));
        }
        // a record no deserializer can read must reach the dead-letter path, not stop the archive
        send(AvroAuditTopics.POLICY_DECISIONS, "code", "not an Avro record".getBytes(StandardCharsets.UTF_8));
        producer.flush();
        String group = "archive-replay-" + UUID.randomUUID();

        List<String> firstRunDeadLetters = archiveEverything(group, 241, database.pool);
        resetToEarliest(group);
        List<String> secondRunDeadLetters = archiveEverything(group, 241, database.pool);

        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE tenant = 'code'")).isEqualTo(200);
        assertThat(database.count("SELECT count(DISTINCT decision_id) FROM ${schema}.policy_decisions WHERE tenant = 'code'"))
                .isEqualTo(200);
        assertThat(database.count("SELECT count(*) FROM ${schema}.training_audit WHERE tenant = 'code'")).isEqualTo(20);
        assertThat(database.count("SELECT count(*) FROM ${schema}.identity_audit WHERE tenant = 'code'")).isEqualTo(20);
        assertThat(firstRunDeadLetters).singleElement().asString().contains("policy.decisions");
        assertThat(secondRunDeadLetters).hasSize(1);

        PolicyDecision first = decision(requests.get(0));
        PolicyDecisionRow archived = new DecisionArchiveQuery(database.pool.dataSource(), database.schema)
                .page("code", first.getEvaluatedAt(), first.getEvaluatedAt().plusMillis(1), 1, null)
                .decisions().get(0);
        assertThat(archived).isEqualTo(AvroAuditTopics.decisionRow(first, archived.source()));
        assertThat(archived.source().topic()).isEqualTo(AvroAuditTopics.POLICY_DECISIONS);
    }

    @Test
    void shouldCatchUpWithNoGapAndNoDuplicateWhenPostgresComesBack() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("conv", 300);
        String group = "archive-outage-" + UUID.randomUUID();
        URI postgres = URI.create(LocalServices.testJdbcUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(postgres.getHost(), postgres.getPort());
             PostgresPool viaProxy = new PostgresPool("jdbc:postgresql://127.0.0.1:" + proxy.port() + postgres.getPath(),
                     LocalServices.postgresUser(), "", 2);
             AuditArchiver archiver = new AuditArchiver(consumerConfig(group),
                     List.of(new AuditTopic<>(OUTAGE_DECISIONS, singleObject(PolicyDecision.getDecoder()),
                             AvroAuditTopics::decisionRow)),
                     new AuditArchiveWriter(viaProxy.dataSource(), database.schema),
                     (record, reason) -> {
                         throw new AssertionError("no dead letter expected: " + reason);
                     }, FAST_RETRY)) {
            archiver.start();
            for (TraceAuditRecords.Request request : requests.subList(0, 100)) {
                send(OUTAGE_DECISIONS, request.tenant(), PolicyDecision.getEncoder().encode(decision(request)));
            }
            producer.flush();
            await("the first records archived", () -> archiver.archivedRows() == 100 && archiver.lag() == 0);

            proxy.cut();
            for (TraceAuditRecords.Request request : requests.subList(100, 300)) {
                send(OUTAGE_DECISIONS, request.tenant(), PolicyDecision.getEncoder().encode(decision(request)));
            }
            producer.flush();
            // the first attempts fail on the pooled connections that were cut, the third on getting a new one
            await("failed writes while PostgreSQL is away", () -> archiver.consecutiveFailures() >= 3);
            long archivedDuringOutage = archiver.archivedRows();
            long lagDuringOutage = archiver.lag();
            String failure = archiver.lastFailure();
            long committedDuringOutage = committedOffsets(group);
            proxy.restore();
            await("catching up", () -> archiver.archivedRows() + archiver.duplicateRows() == 300 && archiver.lag() == 0);

            assertThat(archivedDuringOutage).isEqualTo(100);
            assertThat(lagDuringOutage).isPositive();
            assertThat(committedDuringOutage).as("offsets committed only for archived records").isEqualTo(100);
            assertThat(failure).startsWith("writing").contains("SQLState").doesNotContain("INSERT");
            assertThat(archiver.consecutiveFailures()).isZero();
            assertThat(archiver.archivedRows()).isEqualTo(300);
        }
        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE tenant = 'conv'")).isEqualTo(300);
        assertThat(database.count("SELECT count(DISTINCT decision_id) FROM ${schema}.policy_decisions WHERE tenant = 'conv'"))
                .isEqualTo(300);
    }

    @Test
    void shouldWaitForTheRegistryInsteadOfDeadLetteringRecords() throws Exception {
        TraceAuditRecords.Request request = TraceAuditRecords.requests("code", 1).get(0);
        send(REGISTRY_DECISIONS, request.tenant(), AvroCodec.encode(1, decision(request)));
        producer.flush();
        String group = "archive-registry-down-" + UUID.randomUUID();
        // nothing listens on port 1: the registry does not answer
        SchemaRegistryClient unreachable = new SchemaRegistryClient(
                new SchemaRegistryConfig("http://127.0.0.1:1", null, 0, Duration.ofSeconds(1)));
        List<String> deadLetters = new CopyOnWriteArrayList<>();
        try (AuditArchiver archiver = new AuditArchiver(consumerConfig(group),
                List.of(new AuditTopic<>(REGISTRY_DECISIONS, new AvroDeserializer<>(PolicyDecision.class, unreachable),
                        AvroAuditTopics::decisionRow, AvroAuditTopics::registryDown)),
                new AuditArchiveWriter(database.pool.dataSource(), database.schema),
                (record, reason) -> deadLetters.add(reason), FAST_RETRY)) {
            archiver.start();
            await("failed reads while the registry is away", () -> archiver.consecutiveFailures() >= 2);

            assertThat(archiver.lastFailure()).startsWith("reading 1 records failed").contains("registry");
            assertThat(archiver.archivedRows()).isZero();
            assertThat(archiver.lag()).isEqualTo(1);
        }
        assertThat(deadLetters).isEmpty();
        assertThat(committedOffsets(group)).isZero();
    }

    /** Runs an archiver until it has seen {@code records} records and nothing is left, then stops it. */
    private static List<String> archiveEverything(String group, int records, PostgresPool pool) {
        List<String> deadLetters = new CopyOnWriteArrayList<>();
        try (AuditArchiver archiver = archiver(group, pool, deadLetters)) {
            archiver.start();
            await("all " + records + " records archived",
                    () -> archiver.archivedRows() + archiver.duplicateRows() + archiver.deadLettered() == records
                            && archiver.lag() == 0);
        }
        return deadLetters;
    }

    private static AuditArchiver archiver(String group, PostgresPool pool, List<String> deadLetters) {
        List<AuditTopic<?>> topics = AvroAuditTopics.of(singleObject(PolicyDecision.getDecoder()),
                singleObject(TrainingAudit.getDecoder()), singleObject(IdentityAudit.getDecoder()));
        return new AuditArchiver(consumerConfig(group), topics,
                new AuditArchiveWriter(pool.dataSource(), database.schema),
                (ConsumerRecord<byte[], byte[]> record, String reason) -> deadLetters.add(reason), FAST_RETRY);
    }

    private static Map<String, Object> consumerConfig(String group) {
        return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, group);
    }

    private static <T> Deserializer<T> singleObject(BinaryMessageDecoder<T> decoder) {
        return (topic, bytes) -> {
            try {
                return decoder.decode(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static void resetToEarliest(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> earliest = new HashMap<>();
            for (String topic : List.of(AvroAuditTopics.POLICY_DECISIONS, AvroAuditTopics.TRAINING_AUDIT,
                    AvroAuditTopics.IDENTITY_AUDIT)) {
                int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
                for (int p = 0; p < partitions; p++) {
                    earliest.put(new TopicPartition(topic, p), new OffsetAndMetadata(0));
                }
            }
            admin.alterConsumerGroupOffsets(group, earliest).all().get();
        }
    }

    /** The group's committed offsets, summed over partitions: the records it has declared done. */
    private static long committedOffsets(String group) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values().stream()
                    .mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private static void send(String topic, String key, java.nio.ByteBuffer value) {
        byte[] bytes = new byte[value.remaining()];
        value.get(bytes);
        send(topic, key, bytes);
    }

    private static void send(String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
    }

    private static void await(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("gave up waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what);
            }
        }
    }

    /** Avro carries timestamp-millis: the record holds what the topic can hold. */
    private static PolicyDecision decision(TraceAuditRecords.Request request) {
        return PolicyDecision.newBuilder()
                .setDecisionId(request.id("decision")).setEventId(request.id("event"))
                .setSessionId("trace-" + request.tenant()).setTenant(request.tenant())
                // the trace has no text: SPEC §2's decision for such events; no rule was evaluated, nothing timed
                .setDecision("allow").setAllowed(true).setScore(1.0).setSeverity("low").setViolations(new ArrayList<>())
                .setRulesEvaluated(0).setEvaluationMicros(0)
                .setEvaluatedAt(request.arrivedAt().truncatedTo(ChronoUnit.MILLIS))
                .build();
    }

    private static TrainingAudit trainingEnabled(TraceAuditRecords.Request request) {
        return TrainingAudit.newBuilder().setEventId(request.id("training")).setCommandId(request.id("command"))
                .setTenant(request.tenant()).setAction("training.enabled")
                .setTimestamp(request.arrivedAt().truncatedTo(ChronoUnit.MILLIS))
                .setDetails(TrainingAuditDetails.newBuilder().build()).build();
    }

    private static IdentityAudit tokenIssued(TraceAuditRecords.Request request) {
        return IdentityAudit.newBuilder().setEventId(request.id("identity")).setAction("token.issued")
                .setTenant(request.tenant()).setSubject(request.tenant()).setJti(request.id("jti"))
                .setTimestamp(request.arrivedAt().truncatedTo(ChronoUnit.MILLIS)).build();
    }
}
