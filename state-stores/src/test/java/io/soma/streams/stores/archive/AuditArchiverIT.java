package io.soma.streams.stores.archive;

import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingAuditDetails;
import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.serde.AvroCodec;
import io.soma.streams.schemas.serde.AvroDeserializer;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.LocalServices;
import io.soma.streams.testkit.TcpProxy;
import io.soma.streams.testkit.TestPaths;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archiver against the real local stack: the in-process Kafka broker, the real schema registry with the
 * project's wire-format Avro serde, and the machine's PostgreSQL. Topics carry a run id, so other tests sharing the
 * stack never feed these archivers.
 */
class AuditArchiverIT {
    /** The dead-letter path of an archiver that must never take it. */
    private static final BiConsumer<ConsumerRecord<byte[], byte[]>, String> NO_DEAD_LETTERS = (record, reason) -> {
        throw new AssertionError("no dead letter expected: " + reason);
    };
    private static final RetryBackoff FAST_RETRY = new RetryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final String RUN = "archive-it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    private static final String DECISIONS = RUN + "policy.decisions";
    private static final String TRAINING = RUN + "training.audit";
    private static final String IDENTITY = RUN + "identity.audit";
    /** The outage tests' own topics, so no test's records meet another's. */
    private static final String OUTAGE_DECISIONS = RUN + "outage.policy.decisions";
    private static final String REGISTRY_DECISIONS = RUN + "registry.policy.decisions";
    private static final String RETENTION_DECISIONS = RUN + "retention.policy.decisions";

    private static LocalStack stack;
    private static SchemaRegistryClient registry;
    private static ArchiveDatabase database;
    private static KafkaProducer<byte[], byte[]> producer;
    private static AvroSerializer<SpecificRecord> serializer;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.shared();
        registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        serializer = new AvroSerializer<>(registry, false, true);
        database = ArchiveDatabase.migrated("archiver");
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(DECISIONS, 3, (short) 1),
                new NewTopic(TRAINING, 1, (short) 1), new NewTopic(IDENTITY, 1, (short) 1),
                new NewTopic(OUTAGE_DECISIONS, 2, (short) 1), new NewTopic(REGISTRY_DECISIONS, 1, (short) 1),
                new NewTopic(RETENTION_DECISIONS, 1, (short) 1));
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    @AfterAll
    static void stop() throws Exception {
        producer.close();
        database.close();
    }

    @Test
    void shouldHoldExactlyOneRowPerRecordAfterTheSameRecordsAreConsumedTwice() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 200);
        for (TraceAuditRecords.Request request : requests) {
            send(DECISIONS, request.tenant(), decision(request));
        }
        for (TraceAuditRecords.Request request : requests.subList(0, 20)) {
            send(TRAINING, request.tenant(), trainingEnabled(request));
            send(IDENTITY, request.tenant(), tokenIssued(request));
        }
        // a record no deserializer can read must reach the dead-letter path, not stop the archive
        send(DECISIONS, "code", "not an Avro record".getBytes(StandardCharsets.UTF_8));
        // nor one PostgreSQL can never hold: a time in nanoseconds taken for milliseconds, in the year 55 million
        PolicyDecision first200 = decision(requests.get(0));
        send(DECISIONS, "code", PolicyDecision.newBuilder(first200).setDecisionId(first200.getDecisionId() + "-ns")
                .setEvaluatedAt(Instant.ofEpochMilli(first200.getEvaluatedAt().toEpochMilli() * 1_000_000L)).build());
        // nor one whose tenant is past what a PostgreSQL index entry holds (2,704 bytes), random so it cannot compress
        send(DECISIONS, "code", PolicyDecision.newBuilder(first200).setDecisionId(first200.getDecisionId() + "-long")
                .setTenant(randomText(3_000)).build());
        producer.flush();
        String group = "archive-replay-" + UUID.randomUUID();

        Run first = archiveEverything(group, 243);
        resetToEarliest(group);
        Run replay = archiveEverything(group, 243);

        assertThat(first.archived()).isEqualTo(240);
        assertThat(first.duplicates()).isZero();
        assertThat(replay.archived()).isZero();
        assertThat(replay.duplicates()).isEqualTo(240);
        assertThat(first.deadLetters()).hasSize(3).allSatisfy(reason -> assertThat(reason).contains(DECISIONS))
                .anySatisfy(reason -> assertThat(reason).contains("evaluatedAt", "outside the times PostgreSQL"))
                .anySatisfy(reason -> assertThat(reason).contains("PostgreSQL refuses the row", "SQLState 54000"));
        assertThat(replay.deadLetters()).hasSize(3);

        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE kafka_topic = '" + DECISIONS + "'"))
                .isEqualTo(200);
        assertThat(database.count("SELECT count(DISTINCT decision_id) FROM ${schema}.policy_decisions WHERE kafka_topic = '"
                + DECISIONS + "'")).isEqualTo(200);
        assertThat(database.count("SELECT count(*) FROM ${schema}.training_audit")).isEqualTo(20);
        assertThat(database.count("SELECT count(*) FROM ${schema}.identity_audit")).isEqualTo(20);

        PolicyDecision earliest = decision(requests.get(0));
        PolicyDecisionRow archived = new DecisionArchiveQuery(database.pool.dataSource(), database.schema)
                .page("code", earliest.getEvaluatedAt(), earliest.getEvaluatedAt().plusMillis(1), 1, null,
                        PageOrder.OLDEST_FIRST, null)
                .decisions().get(0);
        assertThat(archived).isEqualTo(AvroAuditTopics.decisionRow(earliest, archived.source()));
        assertThat(archived.source().topic()).isEqualTo(DECISIONS);
    }

    @Test
    void shouldCatchUpWithNoGapAndNoDuplicateWhenPostgresComesBack() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("conv", 350);
        String group = "archive-outage-" + UUID.randomUUID();
        URI postgres = URI.create(LocalServices.testJdbcUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(postgres.getHost(), postgres.getPort());
             PostgresPool viaProxy = new PostgresPool("jdbc:postgresql://127.0.0.1:" + proxy.port() + postgres.getPath(),
                     LocalServices.postgresUser(), "", 2);
             AuditArchiver archiver = new AuditArchiver(consumerConfig(group),
                     List.of(decisionsTopic(OUTAGE_DECISIONS, registry)),
                     new AuditArchiveWriter(viaProxy.dataSource(), database.schema),
                     NO_DEAD_LETTERS, FAST_RETRY)) {
            archiver.start();
            for (TraceAuditRecords.Request request : requests.subList(0, 100)) {
                send(OUTAGE_DECISIONS, request.tenant(), decision(request));
            }
            producer.flush();
            await("the first records archived", () -> archiver.archivedRows() == 100 && archiver.lag() == 0);

            proxy.cut();
            for (TraceAuditRecords.Request request : requests.subList(100, 300)) {
                send(OUTAGE_DECISIONS, request.tenant(), decision(request));
            }
            producer.flush();
            // the first attempts fail on the pooled connections that were cut, the third on getting a new one
            await("failed writes while PostgreSQL is away", () -> archiver.consecutiveFailures() >= 3);
            // what comes while the partitions are paused is counted too: no fetch tells of it
            for (TraceAuditRecords.Request request : requests.subList(300, 350)) {
                send(OUTAGE_DECISIONS, request.tenant(), decision(request));
            }
            producer.flush();
            await("every record not archived in the lag", () -> archiver.lag() == 250);
            long archivedDuringOutage = archiver.archivedRows();
            String failure = archiver.lastFailure();
            long committedDuringOutage = committedOffsets(group);
            proxy.restore();
            await("catching up", () -> archiver.archivedRows() + archiver.duplicateRows() == 350 && archiver.lag() == 0);

            assertThat(archivedDuringOutage).isEqualTo(100);
            assertThat(committedDuringOutage).as("offsets committed only for archived records").isEqualTo(100);
            assertThat(failure).startsWith("writing").contains("SQLState").doesNotContain("INSERT");
            assertThat(archiver.consecutiveFailures()).isZero();
            assertThat(archiver.archivedRows()).isEqualTo(350);
        }
        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE tenant = 'conv'")).isEqualTo(350);
        assertThat(database.count("SELECT count(DISTINCT decision_id) FROM ${schema}.policy_decisions WHERE tenant = 'conv'"))
                .isEqualTo(350);
    }

    /**
     * A broker that refuses the archiver's reads (its read ACL missing): the archiver keeps trying, counting the
     * failures, and archives what it could not read once the read is allowed. Ending instead would fail the process's
     * liveness, and restart the whole API, for what no restart mends.
     */
    @Test
    void shouldRetryReadsTheBrokersRefuseAndArchiveOnceTheyAreAllowed() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 20);
        onBrokerCheckingAcls("refused", requests, (bootstrap, admin, topic) -> {
            AclBinding refused = new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                    new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.READ, AclPermissionType.DENY));
            applied(admin, refused);
            try (AuditArchiver archiver = new AuditArchiver(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "archive-refused-" + UUID.randomUUID()),
                    List.of(decisionsTopic(topic, registry)),
                    new AuditArchiveWriter(database.pool.dataSource(), database.schema),
                    NO_DEAD_LETTERS, FAST_RETRY)) {
                archiver.start();
                await("reads refused, and tried again (or the archiver stopped)",
                        () -> archiver.consecutiveFailures() >= 3 || !archiver.isRunning());
                assertThat(archiver.isRunning()).as(String.valueOf(archiver.fatalFailure())).isTrue();
                assertThat(archiver.lastFailure()).startsWith("reading").contains("authoriz");

                admin.deleteAcls(List.of(refused.toFilter())).all().get();
                // the trace's first records are other tests' too: already archived, they count as duplicates
                await("every record archived once reads are allowed", () -> archiver.archivedRows()
                        + archiver.duplicateRows() == requests.size() && archiver.lag() == 0);
                assertThat(archiver.consecutiveFailures()).isZero();
            }
        });
    }

    /**
     * A batch held while PostgreSQL is away, when the brokers then refuse the archiver too (its ACLs changed): the
     * wait before the next write counts that failure as any other, rather than ending the archiver.
     */
    @Test
    void shouldKeepHoldingABatchWhenTheBrokersRefuseItWhileItWaitsForPostgres() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 5);
        onBrokerCheckingAcls("held-refused", requests, (bootstrap, admin, topic) -> {
            URI postgres = URI.create(LocalServices.testJdbcUrl().substring("jdbc:".length()));
            // a schema of its own: the other tests count the rows of these records in theirs
            try (ArchiveDatabase own = ArchiveDatabase.migrated("held_refused");
                 TcpProxy proxy = new TcpProxy(postgres.getHost(), postgres.getPort());
                 PostgresPool viaProxy = new PostgresPool("jdbc:postgresql://127.0.0.1:" + proxy.port()
                         + postgres.getPath(), LocalServices.postgresUser(), "", 2);
                 AuditArchiver archiver = new AuditArchiver(Map.of(
                         ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                         ConsumerConfig.GROUP_ID_CONFIG, "archive-held-refused-" + UUID.randomUUID(),
                         // the refusal is met when the paused consumer's metadata is next refreshed
                         ConsumerConfig.METADATA_MAX_AGE_CONFIG, 500),
                         List.of(decisionsTopic(topic, registry)),
                         new AuditArchiveWriter(viaProxy.dataSource(), own.schema),
                         NO_DEAD_LETTERS, FAST_RETRY)) {
                proxy.cut();
                archiver.start();
                await("a batch held: PostgreSQL is away", () -> archiver.consecutiveFailures() >= 2);
                AclBinding refused = new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic,
                        PatternType.LITERAL), new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL,
                        AclPermissionType.DENY));
                applied(admin, refused);
                // read once: the next failed write replaces it
                String refusal = Await.value("the refusal met while the batch is held (or the archiver stopped)",
                        PATIENCE, () -> archiver.isRunning() ? String.valueOf(archiver.lastFailure()) : "stopped",
                        failure -> failure.equals("stopped") || failure.startsWith("reading"));
                assertThat(archiver.isRunning()).as(String.valueOf(archiver.fatalFailure())).isTrue();
                assertThat(refusal).contains("authoriz");

                admin.deleteAcls(List.of(refused.toFilter())).all().get();
                proxy.restore();
                await("every record archived once both are back", () -> archiver.archivedRows() == requests.size()
                        && archiver.lag() == 0);
            }
        });
    }

    /**
     * Adds the ACL and waits until the broker's authorizer holds it: the controller accepts it first, and a read in
     * between is still allowed.
     */
    private static void applied(Admin admin, AclBinding acl) throws Exception {
        admin.createAcls(List.of(acl)).all().get();
        Await.until("the broker applying " + acl, Duration.ofSeconds(30), () -> {
            try {
                return admin.describeAcls(acl.toFilter()).values().get(10, TimeUnit.SECONDS).contains(acl);
            } catch (Exception e) {
                throw new IllegalStateException("cannot describe " + acl, e);
            }
        });
    }

    @FunctionalInterface
    private interface AclBrokerTest {
        void run(String bootstrapServers, Admin admin, String topic) throws Exception;
    }

    /**
     * A broker of its own that checks ACLs, with {@code requests}' decisions on a topic whose ACL allows everything,
     * so that what a test denies there is refused.
     */
    private void onBrokerCheckingAcls(String name, List<TraceAuditRecords.Request> requests, AclBrokerTest test)
            throws Exception {
        String topic = RUN + name + ".policy.decisions";
        // once a topic has an ACL, what no ACL allows is refused: everything allowed, then the test denies
        AclBinding allowed = new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL, AclPermissionType.ALLOW));
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(TestPaths.newWorkDir("archive-acl"), 0, Map.of(
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found", "true"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
             KafkaProducer<byte[], byte[]> writer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            KafkaState.createTopics(broker.bootstrapServers(), new NewTopic(topic, 1, (short) 1));
            admin.createAcls(List.of(allowed)).all().get();
            for (TraceAuditRecords.Request request : requests) {
                writer.send(new ProducerRecord<>(topic, request.tenant().getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(topic, decision(request))));
            }
            writer.flush();
            test.run(broker.bootstrapServers(), admin, topic);
        } finally {
            broker.close();
        }
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
                List.of(decisionsTopic(REGISTRY_DECISIONS, unreachable)),
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

    @Test
    void shouldSayOnceHowManyRecordsRetentionDeletedBeforeTheyWereArchived() throws Exception {
        // past the records the other tests archive: rows of their own
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 236).subList(200, 236);
        String group = "archive-retention-" + UUID.randomUUID();
        requests.subList(0, 10).forEach(r -> send(RETENTION_DECISIONS, r.tenant(), decision(r)));
        producer.flush();
        try (AuditArchiver first = retentionArchiver(group)) {
            first.start();
            await("the first records archived", () -> first.archivedRows() == 10 && first.lag() == 0);
        }
        // while no archiver runs, more come and retention deletes five of them
        sendThenDeleteBefore(requests.subList(10, 30), 15);
        try (AuditArchiver next = retentionArchiver(group)) {
            next.start();
            await("what retention left archived", () -> next.archivedRows() == 15 && next.lag() == 0);

            assertThat(next.skippedRecords()).isEqualTo(5);
        }
        // then every record that came is deleted: nothing is archived after the loss, and it is still said once
        sendThenDeleteBefore(requests.subList(30, 35), 35);
        try (AuditArchiver quiet = retentionArchiver(group)) {
            quiet.start();
            await("the loss of a quiet partition found", () -> quiet.skippedRecords() == 5);
        }
        requests.subList(35, 36).forEach(r -> send(RETENTION_DECISIONS, r.tenant(), decision(r)));
        producer.flush();
        try (AuditArchiver after = retentionArchiver(group)) {
            after.start();
            await("the next record archived", () -> after.archivedRows() == 1 && after.lag() == 0);

            assertThat(after.skippedRecords()).as("a loss already said").isZero();
        }
        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE kafka_topic = '"
                + RETENTION_DECISIONS + "'")).isEqualTo(26);
    }

    /** Sends the records to the retention topic's one partition, then deletes those before {@code offset}. */
    private static void sendThenDeleteBefore(List<TraceAuditRecords.Request> requests, long offset) throws Exception {
        requests.forEach(r -> send(RETENTION_DECISIONS, r.tenant(), decision(r)));
        producer.flush();
        try (Admin admin = admin()) {
            admin.deleteRecords(Map.of(new TopicPartition(RETENTION_DECISIONS, 0), RecordsToDelete.beforeOffset(offset)))
                    .all().get();
        }
    }

    private static AuditArchiver retentionArchiver(String group) {
        return new AuditArchiver(consumerConfig(group), List.of(decisionsTopic(RETENTION_DECISIONS, registry)),
                new AuditArchiveWriter(database.pool.dataSource(), database.schema),
                NO_DEAD_LETTERS, FAST_RETRY);
    }

    private static String randomText(int length) {
        // CJK ideographs: three bytes each in UTF-8, and no run repeats that compression could shorten
        return new Random(length).ints(length, 0x4E00, 0x9FFF + 1).collect(StringBuilder::new, StringBuilder::appendCodePoint,
                StringBuilder::append).toString();
    }

    private record Run(long archived, long duplicates, List<String> deadLetters) {
    }

    /** Runs an archiver over the three audit topics until it has seen {@code records} records, then stops it. */
    private static Run archiveEverything(String group, int records) {
        List<String> deadLetters = new CopyOnWriteArrayList<>();
        List<AuditTopic<?>> topics = List.of(decisionsTopic(DECISIONS, registry),
                new AuditTopic<>(TRAINING, new AvroDeserializer<>(TrainingAudit.class, registry),
                        AvroAuditTopics::trainingRow, SchemaRegistryException::unavailableIn),
                new AuditTopic<>(IDENTITY, new AvroDeserializer<>(IdentityAudit.class, registry),
                        AvroAuditTopics::identityRow, SchemaRegistryException::unavailableIn));
        try (AuditArchiver archiver = new AuditArchiver(consumerConfig(group), topics,
                new AuditArchiveWriter(database.pool.dataSource(), database.schema),
                (record, reason) -> deadLetters.add(reason), FAST_RETRY)) {
            archiver.start();
            await("all " + records + " records archived",
                    () -> archiver.archivedRows() + archiver.duplicateRows() + archiver.deadLettered() == records
                            && archiver.lag() == 0);
            return new Run(archiver.archivedRows(), archiver.duplicateRows(), deadLetters);
        }
    }

    private static AuditTopic<PolicyDecision> decisionsTopic(String topic, SchemaRegistryClient registry) {
        return new AuditTopic<>(topic, new AvroDeserializer<>(PolicyDecision.class, registry),
                AvroAuditTopics::decisionRow, SchemaRegistryException::unavailableIn);
    }

    private static Map<String, Object> consumerConfig(String group) {
        return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, group);
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()));
    }

    private static void resetToEarliest(String group) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> earliest = new HashMap<>();
            for (String topic : List.of(DECISIONS, TRAINING, IDENTITY)) {
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
        try (Admin admin = admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().values().stream()
                    .mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private static void send(String topic, String key, SpecificRecord value) {
        send(topic, key, serializer.serialize(topic, value));
    }

    private static void send(String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(what, PATIENCE, condition);
    }

    /** Avro carries timestamp-millis: the record holds what the topic can hold. */
    private static PolicyDecision decision(TraceAuditRecords.Request request) {
        return PolicyDecision.newBuilder()
                .setDecisionId(request.id("decision")).setEventId(request.id("event"))
                .setSessionId("trace-" + request.tenant()).setTenant(request.tenant())
                // the trace has no text: the policy app's decision for such events; no rule was evaluated, nothing timed
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
