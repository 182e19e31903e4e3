package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetReservation;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One tenant's granted reservations not yet settled or expired, by request id. They are kept apart from the tenant's
 * ledger so that deciding or settling one reads and writes that one alone, not all the others with it.
 */
public interface OpenReservations {
    /** The open reservation of {@code requestId}, or null. */
    BudgetReservation get(String requestId);

    void put(String requestId, BudgetReservation reservation);

    void delete(String requestId);

    /** Every open reservation, by request id. */
    SortedMap<String, BudgetReservation> all();

    /** Reservations held in memory only: for a ledger used outside the app (a read-only view, an evaluation). */
    static OpenReservations inMemory() {
        TreeMap<String, BudgetReservation> open = new TreeMap<>();
        return new OpenReservations() {
            @Override
            public BudgetReservation get(String requestId) {
                return open.get(requestId);
            }

            @Override
            public void put(String requestId, BudgetReservation reservation) {
                open.put(requestId, reservation);
            }

            @Override
            public void delete(String requestId) {
                open.remove(requestId);
            }

            @Override
            public SortedMap<String, BudgetReservation> all() {
                return new TreeMap<>(open);
            }
        };
    }
}
