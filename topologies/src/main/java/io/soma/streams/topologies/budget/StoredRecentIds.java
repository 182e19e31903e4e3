package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetReservation;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Instant;

/**
 * A tenant's recently closed reservations and counted usage events in the app's window stores
 * {@value BudgetApp#CLOSED_STORE} and {@value BudgetApp#COUNTED_STORE}, keyed as {@link StoredReservations} keys
 * them (one tenant's ids never answer for another's). The stores' retention is what "lately" means: entries older
 * than {@code budget.repeat.window} are dropped with their segment, without a scan.
 */
final class StoredRecentIds implements RecentIds {
    /** A key no tenant's entry has: theirs start with the tenant's length (see {@link StoredReservations}). */
    static final String SEGMENT_KEEPER = "segment-keeper";

    private final WindowStore<String, BudgetReservation> closed;
    private final WindowStore<String, Long> counted;
    private final String prefix;

    StoredRecentIds(WindowStore<String, BudgetReservation> closed, WindowStore<String, Long> counted, String tenant) {
        this.closed = closed;
        this.counted = counted;
        this.prefix = StoredReservations.prefix(tenant);
    }

    @Override
    public BudgetReservation closed(String requestId) {
        return latest(closed, requestId);
    }

    @Override
    public void close(String requestId, BudgetReservation reservation, Instant at) {
        closed.put(prefix + requestId, reservation, at.toEpochMilli());
    }

    @Override
    public boolean counted(String eventId) {
        return latest(counted, eventId) != null;
    }

    @Override
    public void count(String eventId, Instant at) {
        counted.put(prefix + eventId, at.toEpochMilli(), at.toEpochMilli());
    }

    /**
     * Opens the current segment of both stores. Kafka Streams 4.3 keeps a window store's committed changelog offset
     * in its segments, so a store that holds none has no offset at all: under exactly-once, the next start then takes
     * the whole task as corrupted and wipes its ledgers, read back from their changelogs (slow on a large one). A
     * delete of a key nobody reads opens a segment without storing anything.
     */
    static void keepASegment(WindowStore<String, BudgetReservation> closed, WindowStore<String, Long> counted,
                             Instant now) {
        closed.put(SEGMENT_KEEPER, null, now.toEpochMilli());
        counted.put(SEGMENT_KEEPER, null, now.toEpochMilli());
    }

    /** The latest entry under {@code id} the store still holds, whenever it was written. */
    private <V> V latest(WindowStore<String, V> store, String id) {
        // every time: the retention, not the query, bounds how far back an entry is found
        try (WindowStoreIterator<V> it = store.backwardFetch(prefix + id, 0L, Long.MAX_VALUE)) {
            return it.hasNext() ? it.next().value : null;
        }
    }
}
