package io.soma.streams.edge.tenancy;

import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.topologies.runtime.EventNames;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one place where the edge decides whose data a request may touch. The tenant comes from the token; a request
 * that names another tenant is refused with 403 unless the caller holds {@link Capability#PLATFORM_OPERATOR}. Any
 * other capability (policy.admin, training.admin, identity.admin, …) acts on the caller's own tenant only.
 */
public final class TenantGuard {
    static final String TENANT_ATTRIBUTE = "soma.tenant";
    static final String POOL_READER_ATTRIBUTE = "soma.pool.reader";
    static final String BODY_FIELD = "tenant";

    private TenantGuard() {
    }

    /** Resolves the route's declared scope for {@code caller} and puts the checked tenant on the context. */
    public static void check(Context ctx, Principal caller, Set<RouteRole> roles) {
        TenantScope scope = scopeOf(ctx, roles);
        String named = switch (scope) {
            case PATH -> ctx.pathParam("tenant");
            case QUERY -> orCaller(blankToNull(ctx.queryParam(BODY_FIELD)), caller);
            case BODY -> JsonBody.required(JsonBody.object(ctx), BODY_FIELD);
            case BODY_OR_CALLER -> orCaller(JsonBody.text(JsonBody.object(ctx), BODY_FIELD), caller);
            case CALLER -> caller.tenant();
            case SHARED -> null;
            case POOLED -> {
                ctx.attribute(POOL_READER_ATTRIBUTE, new PoolReader(
                        caller.has(Capability.PLATFORM_OPERATOR) ? null : caller.tenant()));
                yield null;
            }
            case PLATFORM -> {
                requirePlatformOperator(caller, "managing tenants");
                yield null;
            }
        };
        if (named != null) {
            requireActsOn(caller, named);
            // a platform operator may name any tenant, but not one so long that a record keyed by it would not fit
            JsonBody.withinLimit(named, BODY_FIELD, EventNames.MAX_CHARS);
        }
        ctx.attribute(TENANT_ATTRIBUTE, named);
    }

    /**
     * For a tenant named inside a payload the route scope cannot see (a signed bundle, a token request): the caller
     * acts on its own tenant, a platform operator on any. {@code null} stands for every tenant at once (a global
     * constitution) and needs a platform operator too.
     */
    public static void requireActsOn(Principal caller, String tenant) {
        if (tenant == null) {
            requirePlatformOperator(caller, "acting on every tenant");
        } else if (!tenant.equals(caller.tenant())) {
            requirePlatformOperator(caller, "acting on tenant " + tenant);
        }
    }

    /** Whether a resource of {@code owner} found by id is visible to the caller; callers answer 404 when not. */
    public static boolean owns(Principal caller, String owner) {
        return caller.tenant().equals(owner) || caller.has(Capability.PLATFORM_OPERATOR);
    }

    /**
     * The tenant this request acts on, checked against the caller before the handler ran. Routes whose scope names
     * no tenant ({@link TenantScope#SHARED}, {@link TenantScope#PLATFORM}) have none.
     */
    public static String tenant(Context ctx) {
        String tenant = ctx.attribute(TENANT_ATTRIBUTE);
        if (tenant == null) {
            throw new IllegalStateException(ctx.method() + " " + ctx.endpointHandlerPath()
                    + " declares no tenant-naming scope, or TenantGuard did not run");
        }
        return tenant;
    }

    /**
     * On a {@link TenantScope#POOLED} route: the tenant whose share of the pooled data the request reads, or null for
     * all of it (a platform operator's).
     */
    public static String poolReader(Context ctx) {
        PoolReader reader = ctx.attribute(POOL_READER_ATTRIBUTE);
        if (reader == null) {
            throw new IllegalStateException(ctx.method() + " " + ctx.endpointHandlerPath()
                    + " does not declare the pooled scope, or TenantGuard did not run");
        }
        return reader.tenant();
    }

    /** @param tenant null: every tenant's */
    private record PoolReader(String tenant) {
    }

    /**
     * The tenant this request acts on, or the caller's own on a route whose scope names none (a shared catalog, the
     * tenant list).
     */
    public static String tenantOrCallers(Context ctx, Principal caller) {
        String tenant = ctx.attribute(TENANT_ATTRIBUTE);
        return tenant != null ? tenant : caller.tenant();
    }

    /**
     * The scope a route declares; a route with none or several is a programming error, refused closed, and so is a
     * route with a {@code {tenant}} path parameter that declares another scope: its handler could read the path's
     * tenant, which then nobody checked.
     */
    public static TenantScope scopeOf(Context ctx, Set<RouteRole> roles) {
        List<TenantScope> scopes = roles.stream().filter(TenantScope.class::isInstance).map(TenantScope.class::cast).toList();
        if (scopes.size() != 1) {
            throw new ApiException(500, "route_without_tenant_scope", ctx.method() + " " + ctx.endpointHandlerPath()
                    + " must declare exactly one TenantScope; it is refused until it does");
        }
        if (scopes.get(0) != TenantScope.PATH && ctx.pathParamMap().containsKey("tenant")) {
            throw new ApiException(500, "route_without_tenant_scope", ctx.method() + " " + ctx.endpointHandlerPath()
                    + " has a {tenant} path parameter but declares " + scopes.get(0) + "; it is refused until it "
                    + "declares PATH");
        }
        return scopes.get(0);
    }

    private static void requirePlatformOperator(Principal caller, String what) {
        if (!caller.has(Capability.PLATFORM_OPERATOR)) {
            throw new ApiException(403, "forbidden", what + " needs " + Capability.PLATFORM_OPERATOR.claim()
                    + "; the token of " + caller.subject() + " acts for tenant " + caller.tenant() + " only",
                    Map.of("required_capabilities", List.of(Capability.PLATFORM_OPERATOR.claim())));
        }
    }

    private static String orCaller(String named, Principal caller) {
        return named == null ? caller.tenant() : named;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
