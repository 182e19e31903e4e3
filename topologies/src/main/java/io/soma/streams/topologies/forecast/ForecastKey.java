package io.soma.streams.topologies.forecast;

import io.soma.streams.schemas.GroupedKey;

import java.util.List;

/**
 * What one {@link TokenForecaster} forecasts: a tenant's usage of one provider and model. In the forecast app's
 * store it is a grouped key ({@link GroupedKey}) of tenant, provider and model, so every model
 * of a tenant is one prefix scan away while each stays a record of its own (a tenant's many models together would
 * outgrow Kafka's record limit).
 */
public record ForecastKey(String tenant, String provider, String model) {
    /** Absent provider or model on an event is this value in keys and records. */
    public static final String UNKNOWN = "unknown";

    /** @throws IllegalArgumentException when a part holds NUL, which separates the parts of the store key */
    public ForecastKey {
        storeKey(tenant, provider, model);
    }

    public String storeKey() {
        return storeKey(tenant, provider, model);
    }

    private static String storeKey(String tenant, String provider, String model) {
        return GroupedKey.of(tenant, provider, model);
    }

    public static ForecastKey fromStoreKey(String storeKey) {
        List<String> parts = GroupedKey.parts(storeKey);
        if (parts.size() != 3) {
            throw new IllegalArgumentException("not a forecast key (tenant, provider, model): " + parts);
        }
        return new ForecastKey(parts.get(0), parts.get(1), parts.get(2));
    }
}
