package io.soma.streams.edge.forecast;

import io.soma.streams.stores.query.LocalStores.GroupEntry;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastTable;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.TokenForecaster;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The forecast tables this instance answers with, built from the forecast app's stored models (the view of
 * {@code token-forecasters-by-key} for local and peer lookups). A table of 168 horizons costs about half a millisecond
 * (docs/benchmarks.md, "Forecast tables"): built here once per key and closed window, and only for keys someone asks
 * about, instead of by the app for every key at every window. A model changes only when a window after its last one
 * closes, so its last window's start tells a kept table from a stale one. The least recently read are dropped beyond
 * {@value #MAX_TABLES} (about 15 KB each).
 */
final class ForecastTables {
    static final int MAX_TABLES = 1_024;

    private record Built(long lastWindowStartMs, ForecastTable table) {
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

    private ForecastTable table(String storeKey, ForecastKey key, TokenForecaster model) {
        long lastWindowStartMs = model.lastWindowStartMs().orElse(Long.MIN_VALUE);
        synchronized (byKey) {
            Built kept = byKey.get(storeKey);
            if (kept != null && kept.lastWindowStartMs() == lastWindowStartMs) {
                return kept.table();
            }
        }
        // built outside the lock: two readers of a new window may both build it, the same table
        ForecastTable table = ForecastTable.of(model, prices, key.provider(), key.model());
        synchronized (byKey) {
            byKey.put(storeKey, new Built(lastWindowStartMs, table));
        }
        return table;
    }
}
