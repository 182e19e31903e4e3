package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetReservation;

import java.time.Instant;

/**
 * What a tenant's ledger remembers for a while after the fact, so that a request or a response delivered twice is
 * not counted twice: the reservations it closed (settled, released or expired) and the usage events it counted.
 */
public interface RecentIds {
    /** The reservation {@code requestId} held before it closed lately, or null. */
    BudgetReservation closed(String requestId);

    void close(String requestId, BudgetReservation reservation, Instant at);

    /** Whether the usage event {@code eventId} was counted lately. */
    boolean counted(String eventId);

    void count(String eventId, Instant at);

    /** Remembers nothing: for a ledger used outside the app (a read-only view, an evaluation whose events are unique). */
    static RecentIds none() {
        return new RecentIds() {
            @Override
            public BudgetReservation closed(String requestId) {
                return null;
            }

            @Override
            public void close(String requestId, BudgetReservation reservation, Instant at) {
            }

            @Override
            public boolean counted(String eventId) {
                return false;
            }

            @Override
            public void count(String eventId, Instant at) {
            }
        };
    }
}
