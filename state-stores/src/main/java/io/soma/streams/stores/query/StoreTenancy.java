package io.soma.streams.stores.query;

import java.util.function.Function;

/**
 * Whose data a queryable store holds. A query acts for one tenant and sees only that tenant's keys; a key of another
 * tenant answers exactly as a key nobody wrote.
 *
 * @param tenantOfKey the tenant a key (or a grouped store's group) belongs to; null for a store of data no tenant
 *                    owns, which every query sees
 */
public record StoreTenancy(Function<String, String> tenantOfKey) {

    /** A store keyed (or grouped) by tenant id. */
    public static StoreTenancy keyedByTenant() {
        return new StoreTenancy(Function.identity());
    }

    /** A store of data no tenant owns, e.g. metrics per model over every tenant's calls. */
    public static StoreTenancy shared() {
        return new StoreTenancy(null);
    }

    /** A tenant-owned key is visible to its own tenant only, never to a query that names none. */
    public boolean visibleTo(String key, String tenant) {
        return tenantOfKey == null || (tenant != null && tenant.equals(tenantOfKey.apply(key)));
    }
}
