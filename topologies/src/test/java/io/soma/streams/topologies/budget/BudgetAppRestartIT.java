package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget app stopped cleanly and started again on its kept state dir, on a broker of its own: a second budget app
 * on the shared topics would answer every other test's requests again.
 */
class BudgetAppRestartIT {
    private static final BudgetApp.Config CONFIG = new BudgetApp.Config(
            new LedgerSettings(PriceTable.defaults(), Duration.ofMinutes(1), 1024), Duration.ofMillis(200),
            Duration.ofHours(1));

    /**
     * Budgets defined, nothing reserved or spent yet: the window stores of closed reservations and counted events
     * hold nothing. Kafka Streams 4.3 keeps such a store's committed offset in its segments, so without one the task
     * was taken as corrupted at every start, its ledgers wiped and read back from the changelog (an ERROR in the log).
     */
    @Test
    void shouldStartFromItsLocalLedgersAfterACleanStopBeforeAnyReservation() throws Exception {
        LocalStack stack = ProvisionedStack.shared();
        AppSerdes serdes = new AppSerdes(new SchemaRegistryClient(stack.schemaRegistryUrl()));
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(TestPaths.newWorkDir("budget-restart-broker"), 0,
                Map.of());
        KafkaStreams app = null;
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(stack.schemaRegistryUrl()), false, true))) {
            TopicProvisioner.ensure(broker.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
            StreamsSettings settings = StreamsSettings.local(broker.bootstrapServers(), stack.schemaRegistryUrl(),
                    TestPaths.newWorkDir("budget-restart"));
            String appId = "budget-restart-it-" + UUID.randomUUID();
            String tenant = "restart-" + UUID.randomUUID();

            app = StreamsApps.startAndAwaitRunning(new KafkaStreams(BudgetApp.build(CONFIG, serdes),
                    settings.forApp(appId)));
            defineAndAwaitStatus(producer, broker, serdes, Budgets.daily(tenant, "daily", 1_000_000).build());
            assertThat(StreamsApps.closeLeavingGroup(app)).as("closed cleanly").isTrue();

            Map<String, AtomicLong> restored = new ConcurrentHashMap<>();
            app = new KafkaStreams(BudgetApp.build(CONFIG, serdes), settings.forApp(appId));
            app.setGlobalStateRestoreListener(new StateRestoreListener() {
                @Override
                public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
                }

                @Override
                public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long records) {
                    restored.computeIfAbsent(store, s -> new AtomicLong()).addAndGet(records);
                }

                @Override
                public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
                }
            });
            StreamsApps.startAndAwaitRunning(app);
            // the tenant's task processes again, so whatever it restored has been
            defineAndAwaitStatus(producer, broker, serdes, Budgets.daily(tenant, "weekly", 1_000_000).build());
            assertThat(restored.getOrDefault(BudgetApp.LEDGER_STORE, new AtomicLong()).get())
                    .as("ledger records read back from the changelog: the task was taken as corrupted").isZero();
        } finally {
            StreamsApps.closeLeavingGroup(app);
            broker.close();
        }
    }

    private static void defineAndAwaitStatus(KafkaProducer<String, SpecificRecord> producer,
                                             EmbeddedKafkaBroker broker, AppSerdes serdes, BudgetDefinition definition)
            throws Exception {
        String key = BudgetApp.budgetKey(definition.getTenant(), definition.getBudgetId());
        producer.send(new ProducerRecord<>(Topics.BUDGET_DEFINITIONS.name(), key, definition))
                .get(30, TimeUnit.SECONDS);
        CommittedRecords.await(broker.bootstrapServers(), Topics.BUDGET_STATUS.name(), new StringDeserializer(),
                serdes.value(Topics.BUDGET_STATUS).deserializer(), r -> key.equals(r.key()) && r.value() != null, 1,
                CommittedRecords.DEFAULT_TIMEOUT);
    }
}
