package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetReservation;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A tenant's open reservations in the app's store {@value BudgetApp#RESERVATION_STORE}, one entry each under
 * {@code <tenant length>:<tenant>/<request id>}. The length makes a tenant's keys a prefix no other tenant's share
 * (tenants may hold '/'), so one prefix scan finds exactly the tenant's reservations.
 */
final class StoredReservations implements OpenReservations {
    private static final StringSerializer KEYS = new StringSerializer();
    private final KeyValueStore<String, BudgetReservation> store;
    private final String prefix;

    StoredReservations(KeyValueStore<String, BudgetReservation> store, String tenant) {
        this.store = store;
        this.prefix = prefix(tenant);
    }

    static String prefix(String tenant) {
        return tenant.length() + ":" + tenant + "/";
    }

    @Override
    public BudgetReservation get(String requestId) {
        return store.get(prefix + requestId);
    }

    @Override
    public void put(String requestId, BudgetReservation reservation) {
        store.put(prefix + requestId, reservation);
    }

    @Override
    public void delete(String requestId) {
        store.delete(prefix + requestId);
    }

    @Override
    public SortedMap<String, BudgetReservation> all() {
        SortedMap<String, BudgetReservation> open = new TreeMap<>();
        try (KeyValueIterator<String, BudgetReservation> it = store.prefixScan(prefix, KEYS)) {
            it.forEachRemaining(kv -> open.put(kv.key.substring(prefix.length()), kv.value));
        }
        return open;
    }
}
