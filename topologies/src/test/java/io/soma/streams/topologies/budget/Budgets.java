package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.avro.BudgetReservation;
import io.soma.streams.avro.BudgetReservationRequest;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

/** Budget definitions and requests for the budget tests; each test sets what it is about. */
final class Budgets {
    private Budgets() {
    }

    /** A hard daily token budget in UTC with the default thresholds. */
    static BudgetDefinition.Builder daily(String tenant, String budgetId, long limitTokens) {
        return BudgetDefinition.newBuilder().setTenant(tenant).setBudgetId(budgetId).setLimitTokens(limitTokens)
                .setPeriod(BudgetPeriodKind.DAY).setUpdatedAt(Instant.EPOCH);
    }

    static BudgetReservationRequest request(String tenant, String requestId, String provider, String model,
                                            long promptTokens, long maxCompletionTokens) {
        return BudgetReservationRequest.newBuilder().setRequestId(requestId).setTenant(tenant)
                .setProvider(provider).setModel(model).setPromptTokens(promptTokens)
                .setMaxCompletionTokens(maxCompletionTokens).setRequestedAt(Instant.EPOCH).build();
    }

    /**
     * A Kafka Streams key-value store of reservations as the app declares it, in memory and without a changelog (no
     * broker here).
     */
    static KeyValueStore<String, BudgetReservation> reservationStore() {
        KeyValueStore<String, BudgetReservation> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(BudgetApp.RESERVATION_STORE), Serdes.String(), reservationSerde())
                .withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }

    /** A tenant's recent ids in window stores as the app declares them, in memory, remembering them for a day. */
    static RecentIds recentIds(String tenant) {
        Duration day = Duration.ofDays(1);
        WindowStore<String, BudgetReservation> closed = Stores.windowStoreBuilder(
                        Stores.inMemoryWindowStore(BudgetApp.CLOSED_STORE, day, day, false), Serdes.String(),
                        reservationSerde())
                .withLoggingDisabled().build();
        WindowStore<String, Long> counted = Stores.windowStoreBuilder(
                        Stores.inMemoryWindowStore(BudgetApp.COUNTED_STORE, day, day, false), Serdes.String(),
                        Serdes.Long())
                .withLoggingDisabled().build();
        closed.init(new MockProcessorContext<>().getStateStoreContext(), closed);
        counted.init(new MockProcessorContext<>().getStateStoreContext(), counted);
        return new StoredRecentIds(closed, counted, tenant);
    }

    /** Reservations in Avro's single-object encoding, as no registry is at hand. */
    private static Serde<BudgetReservation> reservationSerde() {
        return Serdes.serdeFrom((topic, r) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                BudgetReservation.getEncoder().encode(r, out);
                return out.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, (topic, bytes) -> {
            try {
                return BudgetReservation.fromByteBuffer(ByteBuffer.wrap(bytes));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
