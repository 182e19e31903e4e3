package io.soma.streams.topologies.forecast;

import io.soma.streams.schemas.GroupedKey;

import java.util.List;

/**
 * A tenant's usage of one capsule with one provider and model: what the forecast app's per-capsule windows and
 * forecasters are keyed by. Its {@link #summaryKey()}, grouped by tenant like {@link ForecastKey}, is where the
 * capsule's {@link CapsuleUsage} lives, so the edge reads a tenant's capsules from the partition of its tenant.
 */
public record CapsuleKey(ForecastKey usage, String capsule) {
    /** @throws IllegalArgumentException when the capsule id holds NUL, which separates the parts of store keys */
    public CapsuleKey {
        storeKey(usage, capsule);
    }

    /** Tenant, provider, model, capsule: four parts, so it never equals a {@link ForecastKey#storeKey()}. */
    public String storeKey() {
        return storeKey(usage, capsule);
    }

    /** Tenant, then capsule. */
    public String summaryKey() {
        return GroupedKey.of(usage.tenant(), capsule);
    }

    /** The capsule of a {@link #summaryKey()}. */
    public static String capsuleOfSummaryKey(String summaryKey) {
        List<String> parts = GroupedKey.parts(summaryKey);
        if (parts.size() != 2) {
            throw new IllegalArgumentException("not a capsule summary key (tenant, capsule): " + parts);
        }
        return parts.get(1);
    }

    private static String storeKey(ForecastKey usage, String capsule) {
        return GroupedKey.of(usage.tenant(), usage.provider(), usage.model(), capsule);
    }
}
