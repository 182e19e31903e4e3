package io.soma.streams.topologies.training;

import io.soma.streams.avro.TrainingAction;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The training app alone on the real broker: a lock and its expiry survive restarts, with and without local state. */
class TrainingAppIT {
    private static LocalStack stack;
    private static AppSerdes serdes;

    @BeforeAll
    static void setUp() {
        stack = LocalStack.shared();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
        TopicProvisioner.ensure(stack.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
        serdes = new AppSerdes(registry);
    }

    @Test
    void shouldKeepTheLockAndItsExpiryAcrossRestarts(@TempDir Path stateDir) throws Exception {
        String tenant = "restart-" + UUID.randomUUID();
        String appId = "training-it-" + UUID.randomUUID();
        StreamsSettings settings = StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir);
        TrainingApp.Config config = new TrainingApp.Config(Duration.ofHours(24), Duration.ofDays(7), Duration.ofMillis(200));

        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), serdes.value(Topics.TRAINING_COMMANDS).serializer());
             var audits = auditReader(tenant)) {
            KafkaStreams first = start(appId, config, settings);
            send(producer, tenant, TrainingAction.ENABLE, "alice", 20);
            TrainingAudit enabled = audits.await(1).get(0);
            assertThat(enabled.getAction()).isEqualTo("training.enabled");
            Instant expiresAt = enabled.getCurrentLock().getExpiresAt();
            first.close(LEAVE_GROUP);

            // same state dir: the lock is still held
            KafkaStreams second = start(appId, config, settings);
            send(producer, tenant, TrainingAction.ENABLE, "bob", null);
            TrainingAudit rejected = audits.await(2).get(1);
            assertThat(rejected.getDetails().getRejection()).isEqualTo("already enabled by alice");
            assertThat(rejected.getDetails().getPreviousLock().getExpiresAt()).isEqualTo(expiresAt);
            second.close(LEAVE_GROUP);

            // wiped state dir: restored from the changelog, lock and expiry intact
            deleteRecursively(stateDir);
            KafkaStreams third = start(appId, config, settings);
            send(producer, tenant, TrainingAction.ENABLE, "carol", null);
            assertThat(audits.await(3).get(2).getDetails().getPreviousLock().getExpiresAt()).isEqualTo(expiresAt);
            // the lock taken before both restarts still expires on time, with its audit record
            List<TrainingAudit> all = audits.await(4);
            assertThat(all.get(3).getAction()).isEqualTo("training.expired");
            assertThat(all.get(3).getTimestamp()).isAfterOrEqualTo(expiresAt);
            assertThat(all.get(3).getDetails().getPreviousLock().getLockedBy()).isEqualTo("alice");
            third.close(LEAVE_GROUP);
        }
    }

    /** Leaving the group lets the next instance take over at once instead of after the session timeout. */
    private static final CloseOptions LEAVE_GROUP = CloseOptions
            .groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30));

    private static KafkaStreams start(String appId, TrainingApp.Config config, StreamsSettings settings)
            throws InterruptedException {
        KafkaStreams streams = new KafkaStreams(TrainingApp.build(config, serdes), settings.forApp(appId));
        streams.start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (streams.state() != KafkaStreams.State.RUNNING && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        return streams;
    }

    private static void send(KafkaProducer<String, TrainingCommand> producer, String tenant, TrainingAction action,
                             String user, Integer ttlSeconds) throws Exception {
        producer.send(new ProducerRecord<>(Topics.TRAINING_COMMANDS.name(), tenant, TrainingCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setTenant(tenant)
                .setAction(action)
                .setUser(user)
                .setCapabilities(List.of(TrainingRules.ADMIN_CAPABILITY))
                .setTtlSeconds(ttlSeconds == null ? null : ttlSeconds.longValue())
                .setRequestedAt(Instant.now())
                .build())).get();
    }

    private static AuditReader auditReader(String tenant) {
        return new AuditReader(tenant, new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "audit-reader-" + tenant,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.TRAINING_AUDIT.keySerde().deserializer(), serdes.value(Topics.TRAINING_AUDIT).deserializer()));
    }

    /** Collects one tenant's committed audit records across the test. */
    private record AuditReader(String tenant, KafkaConsumer<String, TrainingAudit> consumer, List<TrainingAudit> seen)
            implements AutoCloseable {
        AuditReader(String tenant, KafkaConsumer<String, TrainingAudit> consumer) {
            this(tenant, consumer, new ArrayList<>());
            consumer.subscribe(List.of(Topics.TRAINING_AUDIT.name()));
        }

        List<TrainingAudit> await(int n) {
            long deadline = System.currentTimeMillis() + 90_000;
            while (seen.size() < n && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (tenant.equals(r.key())) {
                        seen.add(r.value());
                    }
                });
            }
            assertThat(seen).hasSizeGreaterThanOrEqualTo(n);
            return List.copyOf(seen);
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        }
    }
}
