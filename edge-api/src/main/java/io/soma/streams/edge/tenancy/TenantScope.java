package io.soma.streams.edge.tenancy;

import io.javalin.security.RouteRole;

/**
 * Where a route finds the tenant whose data it reads or writes. Every route that is not
 * {@link io.soma.streams.edge.auth.Access#PUBLIC} declares exactly one, next to its capabilities in
 * {@code EdgeRoutes}; {@link TenantGuard} resolves and checks it before any handler runs, and handlers read the
 * checked tenant with {@link TenantGuard#tenant}. A route that declares none is refused, so forgetting the
 * declaration can only close a route, never open it.
 */
public enum TenantScope implements RouteRole {
    /** The {@code {tenant}} path parameter. */
    PATH,
    /** The {@code tenant} query parameter; the caller's own tenant when absent. */
    QUERY,
    /** The {@code tenant} field of the JSON body, required. */
    BODY,
    /** The {@code tenant} field of the JSON body; the caller's own tenant when absent. */
    BODY_OR_CALLER,
    /**
     * The caller's own tenant. A handler that finds a resource by id (a session, a token) checks that it belongs
     * to this tenant and answers 404 when it does not, so ids of other tenants cannot be probed.
     */
    CALLER,
    /** Data no tenant owns, e.g. the capsule catalog every tenant reads. */
    SHARED,
    /**
     * Data pooled over the tenants that made it, e.g. SLM metrics of a model over the calls of every tenant that called
     * it: the caller sees what its own tenant is among, a platform operator all of it ({@link TenantGuard#poolReader}).
     */
    POOLED,
    /** Managing tenants themselves: platform operators only. */
    PLATFORM
}
