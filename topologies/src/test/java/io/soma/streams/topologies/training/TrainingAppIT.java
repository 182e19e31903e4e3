package io.soma.streams.topologies.training;

import io.soma.streams.avro.TrainingAction;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The training app alone on the real broker: a lock and its expiry survive restarts, with and without local state. */
class TrainingAppIT {
    /**
     * The lock's lifetime, first tried: it must outlast three starts and a restore, as the commands after the
     * restarts must still find it held (expiry runs on wall-clock time); the test then waits for it to expire.
     */
    private static final int LOCK_TTL_SECONDS = 30;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private static LocalStack stack;
    private static AppSerdes serdes;

    @BeforeAll
    static void setUp() {
        stack = ProvisionedStack.shared();
        serdes = new AppSerdes(new SchemaRegistryClient(stack.schemaRegistryUrl()));
    }

    @Test
    // longer than the suite's default of 5 minutes on a loaded machine: three restarts, and on a slow machine all of
    // it again after a 60 s lock expires
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldKeepTheLockAndItsExpiryAcrossRestarts(@TempDir Path stateDir) throws Exception {
        // a machine too slow for the restarts within the lock's lifetime starts over once, with twice the lifetime
        for (int ttlSeconds = LOCK_TTL_SECONDS; !lockOutlivesRestarts(stateDir, ttlSeconds); ttlSeconds *= 2) {
            assertThat(ttlSeconds).as("a lock lifetime that outlasts the restarts").isLessThan(2 * LOCK_TTL_SECONDS);
        }
    }

    /**
     * Alice's lock of {@code ttlSeconds}, then bob's and carol's commands after a restart and after a restore from
     * the changelog, then the expiry; false when the lock expired before carol's command was decided, as on a machine
     * too slow for the restarts within the lifetime (expiry runs on wall-clock time).
     */
    private static boolean lockOutlivesRestarts(Path stateDir, int ttlSeconds) throws Exception {
        String tenant = "restart-" + UUID.randomUUID();
        String appId = "training-it-" + UUID.randomUUID();
        TestPaths.deleteRecursively(stateDir);
        StreamsSettings settings = StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir);
        TrainingApp.Config config = new TrainingApp.Config(Duration.ofHours(24), Duration.ofDays(7), Duration.ofMillis(200));

        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), serdes.value(Topics.TRAINING_COMMANDS).serializer())) {
            Instant expiresAt;
            KafkaStreams first = start(appId, config, settings);
            try {
                send(producer, tenant, TrainingAction.ENABLE, "alice", ttlSeconds);
                TrainingAudit enabled = audits(tenant, 1, ttlSeconds).get(0);
                assertThat(enabled.getAction()).isEqualTo("training.enabled");
                expiresAt = enabled.getCurrentLock().getExpiresAt();
            } finally {
                StreamsApps.closeLeavingGroup(first);
            }

            // same state dir: the lock is still held
            KafkaStreams second = start(appId, config, settings);
            try {
                send(producer, tenant, TrainingAction.ENABLE, "bob", null);
                TrainingAudit rejected = audits(tenant, 2, ttlSeconds).get(1);
                if (!rejected.getAction().equals("training.rejected") && Instant.now().isAfter(expiresAt)) {
                    return false;
                }
                assertThat(rejected.getDetails().getRejection()).isEqualTo("already enabled by alice");
                assertThat(rejected.getDetails().getPreviousLock().getExpiresAt()).isEqualTo(expiresAt);
            } finally {
                // deleting the state dir under a thread that is still closing would race with it
                assertThat(StreamsApps.closeLeavingGroup(second)).as("closed before its state dir is wiped").isTrue();
            }

            // wiped state dir: restored from the changelog, lock and expiry intact
            TestPaths.deleteRecursively(stateDir);
            KafkaStreams third = start(appId, config, settings);
            try {
                send(producer, tenant, TrainingAction.ENABLE, "carol", null);
                TrainingAudit rejectedAfterRestore = audits(tenant, 3, ttlSeconds).get(2);
                if (!rejectedAfterRestore.getAction().equals("training.rejected") && Instant.now().isAfter(expiresAt)) {
                    return false;
                }
                assertThat(rejectedAfterRestore.getDetails().getRejection()).isEqualTo("already enabled by alice");
                assertThat(rejectedAfterRestore.getDetails().getPreviousLock().getExpiresAt()).isEqualTo(expiresAt);
                // the lock taken before both restarts still expires on time, with its audit record, once
                List<TrainingAudit> all = audits(tenant, 4, ttlSeconds);
                assertThat(all).hasSize(4);
                assertThat(all.get(3).getAction()).isEqualTo("training.expired");
                assertThat(all.get(3).getTimestamp()).isAfterOrEqualTo(expiresAt);
                assertThat(all.get(3).getDetails().getPreviousLock().getLockedBy()).isEqualTo("alice");
                return true;
            } finally {
                StreamsApps.closeLeavingGroup(third);
            }
        }
    }

    /**
     * A reason rides in the lock, so audit records hold it up to three times: one of 400,000 characters made a record
     * over the brokers' 1 MB limit and stalled the app for every tenant of its partition.
     */
    @Test
    void shouldRefuseAnOverlongReasonOrACommandKeyedByAnotherTenantAuditingItAndGoOn(@TempDir Path stateDir)
            throws Exception {
        String tenant = "long-reason-" + UUID.randomUUID();
        String misKeyed = "mis-keyed-" + UUID.randomUUID();
        StreamsSettings settings = StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), serdes.value(Topics.TRAINING_COMMANDS).serializer())) {
            KafkaStreams app = start("training-it-" + UUID.randomUUID(), TrainingApp.Config.defaults(), settings);
            try {
                send(producer, tenant, TrainingAction.ENABLE, "alice", null, "r".repeat(400_000));
                send(producer, tenant, TrainingAction.ENABLE, "alice", null, "fine-tune run");
                // written to the topic directly under another key: its lock would sit where no disable reaches it
                send(producer, "another-key", misKeyed, TrainingAction.ENABLE, "mallory", null, null);

                List<TrainingAudit> refused = audits(misKeyed, 1);
                assertThat(refused.get(0).getAction()).isEqualTo("training.rejected");
                assertThat(refused.get(0).getDetails().getRejectionKind()).isEqualTo("invalid");
                assertThat(refused.get(0).getCurrentLock()).isNull();
                List<TrainingAudit> audits = audits(tenant, 2);
                assertThat(audits.get(0).getAction()).isEqualTo("training.rejected");
                assertThat(audits.get(0).getDetails().getRejectionKind()).isEqualTo("invalid");
                assertThat(audits.get(0).getDetails().getReason()).hasSize(TrainingRules.MAX_REASON_CHARS + 1);
                assertThat(audits.get(1).getAction()).isEqualTo("training.enabled");
                assertThat(audits.get(1).getCurrentLock().getReason()).isEqualTo("fine-tune run");
            } finally {
                StreamsApps.closeLeavingGroup(app);
            }
        }
    }

    private static KafkaStreams start(String appId, TrainingApp.Config config, StreamsSettings settings) {
        return StreamsApps.startAndAwaitRunning(new KafkaStreams(TrainingApp.build(config, serdes), settings.forApp(appId)));
    }

    private static void send(KafkaProducer<String, TrainingCommand> producer, String tenant, TrainingAction action,
                             String user, Integer ttlSeconds) throws Exception {
        send(producer, tenant, action, user, ttlSeconds, null);
    }

    private static void send(KafkaProducer<String, TrainingCommand> producer, String tenant, TrainingAction action,
                             String user, Integer ttlSeconds, String reason) throws Exception {
        send(producer, tenant, tenant, action, user, ttlSeconds, reason);
    }

    private static void send(KafkaProducer<String, TrainingCommand> producer, String key, String tenant,
                             TrainingAction action, String user, Integer ttlSeconds, String reason) throws Exception {
        producer.send(new ProducerRecord<>(Topics.TRAINING_COMMANDS.name(), key, TrainingCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setTenant(tenant)
                .setAction(action)
                .setUser(user)
                .setCapabilities(List.of(TrainingRules.ADMIN_CAPABILITY))
                .setTtlSeconds(ttlSeconds == null ? null : ttlSeconds.longValue())
                .setReason(reason)
                .setRequestedAt(Instant.now())
                .build())).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The tenant's committed audit records, in order, once there are at least {@code n}. */
    private static List<TrainingAudit> audits(String tenant, int n) {
        return audits(tenant, n, 0);
    }

    /** The same, waiting also out a lock of {@code ttlSeconds}: its expiry may be the record waited for. */
    private static List<TrainingAudit> audits(String tenant, int n, int ttlSeconds) {
        Duration timeout = CommittedRecords.DEFAULT_TIMEOUT.plusSeconds(ttlSeconds);
        return CommittedRecords.await(stack.bootstrapServers(), Topics.TRAINING_AUDIT.name(),
                        Topics.TRAINING_AUDIT.keySerde().deserializer(), serdes.value(Topics.TRAINING_AUDIT).deserializer(),
                        r -> tenant.equals(r.key()), n, timeout)
                .stream().map(ConsumerRecord::value).toList();
    }
}
