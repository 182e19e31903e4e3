package io.soma.streams.topologies.budget;

import io.soma.streams.topologies.forecast.PriceTable;

import java.time.Duration;

/**
 * How the ledger prices and holds reservations.
 *
 * @param prices                      USD per 1K tokens by provider/model
 * @param reservationTtl              how long a granted reservation waits for its response event
 * @param defaultMaxCompletionTokens  the completion estimate of a request that declares no maximum
 */
public record LedgerSettings(PriceTable prices, Duration reservationTtl, long defaultMaxCompletionTokens) {
    public LedgerSettings {
        if (reservationTtl.isNegative() || reservationTtl.isZero() || defaultMaxCompletionTokens < 0) {
            throw new IllegalArgumentException("need a positive reservation TTL and a non-negative default completion");
        }
    }
}
