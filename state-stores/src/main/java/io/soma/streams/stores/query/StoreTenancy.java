package io.soma.streams.stores.query;

import java.util.function.BiPredicate;

/**
 * Whose data a queryable store holds. A query acts for one tenant and sees only the keys that tenant may see; a key
 * it may not see answers exactly as a key nobody wrote.
 *
 * @param visible whether a key (or a grouped store's group) is visible to a query acting for a tenant; the tenant is
 *                null for a query that names none
 */
public record StoreTenancy(BiPredicate<String, String> visible) {

    /** A store keyed (or grouped) by tenant id: a key is its own tenant's only, never a query's that names none. */
    public static StoreTenancy keyedByTenant() {
        return new StoreTenancy((key, tenant) -> tenant != null && tenant.equals(key));
    }

    /** A store of data no tenant owns, e.g. the capsule catalog, which every query sees. */
    public static StoreTenancy shared() {
        return new StoreTenancy((key, tenant) -> true);
    }

    /**
     * A store of data pooled over the tenants that made it, e.g. the metrics of a model over the calls of every tenant
     * that called it: visible to those tenants, and to a query for every tenant at once (naming none, a platform
     * operator's, as the edge decides).
     *
     * @param amongMakers whether a tenant is among those of a key, read where the key's data is; false for a key
     *                    nobody wrote
     */
    public static StoreTenancy pooledOver(BiPredicate<String, String> amongMakers) {
        return new StoreTenancy((key, tenant) -> tenant == null || amongMakers.test(key, tenant));
    }

    public boolean visibleTo(String key, String tenant) {
        return visible.test(key, tenant);
    }
}
