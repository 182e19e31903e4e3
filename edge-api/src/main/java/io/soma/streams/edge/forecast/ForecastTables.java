package io.soma.streams.edge.forecast;

import io.soma.streams.stores.query.LocalStores.GroupEntry;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastTable;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.TokenForecaster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The forecast tables this instance answers with, built from the forecast app's stored models (the view of
 * {@code token-forecasters-by-key} for local and peer lookups). A table of 168 horizons costs about half a millisecond
 * (docs/benchmarks.md, "Forecast tables"): built here once per key and closed window, and only for keys someone asks
 * about (every model of a tenant asked for), instead of by the app for every key at every window. A kept table is
 * the model's while the model's last window start and the checksum of its state are the same: a model changes when a
 * later window closes, and an interactive query may read a model that an aborted transaction then redoes with other
 * numbers for the same window. Per instance, the least recently read are dropped beyond {@value #MAX_TABLES} (about
 * 15 KB each).
 */
final class ForecastTables {
    static final int MAX_TABLES = 1_024;

    private record Built(long lastWindowStartMs, long stateChecksum, ForecastTable table) {
    }

    private final PriceTable prices;
    private final Map<String, Built> byKey = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Built> eldest) {
            return size() > MAX_TABLES;
        }
    };

    ForecastTables(PriceTable prices) {
        this.prices = prices;
    }

    /** The stored model's table, as {@link ForecastHandlers#view} sends it. */
    Map<String, Object> view(GroupEntry<TokenForecaster> entry) {
        ForecastKey key = ForecastKey.fromStoreKey(entry.key());
        return ForecastHandlers.view(key, table(entry.key(), key, entry.value()));
    }

    /** How many tables this instance keeps. */
    int size() {
        synchronized (byKey) {
            return byKey.size();
        }
    }

    private ForecastTable table(String storeKey, ForecastKey key, TokenForecaster model) {
        long lastWindowStartMs = model.lastWindowStartMs().orElse(Long.MIN_VALUE);
        CRC32C checksum = new CRC32C();
        checksum.update(model.toBytes());
        long stateChecksum = checksum.getValue();
        synchronized (byKey) {
            Built kept = byKey.get(storeKey);
            if (kept != null && kept.lastWindowStartMs() == lastWindowStartMs && kept.stateChecksum() == stateChecksum) {
                return kept.table();
            }
        }
        // built outside the lock: two readers of a new window may both build it, the same table
        ForecastTable table = ForecastTable.of(model, prices, key.provider(), key.model());
        synchronized (byKey) {
            byKey.put(storeKey, new Built(lastWindowStartMs, stateChecksum, table));
        }
        return table;
    }
}
