package io.soma.streams.edge.auth;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.security.RouteRole;
import io.soma.streams.edge.auth.TokenVerification.Invalid;
import io.soma.streams.edge.auth.TokenVerification.Valid;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.tenancy.TenantGuard;
import redis.clients.jedis.exceptions.JedisException;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The edge's access check, installed with {@code app.beforeMatched(auth)}: every matched route needs a valid
 * bearer JWT unless it declares {@link Access#PUBLIC}; a route declaring capabilities admits a caller holding
 * any one of them, and {@link TenantGuard} checks the tenant the route acts on. The verified caller is put on the
 * context for handlers: {@link #principal(Context)}.
 */
public final class AuthHandler implements Handler {
    static final String PRINCIPAL_ATTRIBUTE = "soma.principal";
    private static final String RECHECK_ATTRIBUTE = "soma.principal.recheck";
    private static final String BEARER = "Bearer ";

    private final TokenService tokens;

    public AuthHandler(TokenService tokens) {
        this.tokens = tokens;
    }

    @Override
    public void handle(Context ctx) {
        Set<RouteRole> roles = ctx.routeRoles();
        if (roles.contains(Access.PUBLIC)) {
            return;
        }
        Principal caller = authenticate(ctx);
        ctx.attribute(PRINCIPAL_ATTRIBUTE, caller);
        ctx.attribute(RECHECK_ATTRIBUTE, (Supplier<SseHub.Refusal>) () -> recheck(caller));
        List<Capability> required = roles.stream().filter(Capability.class::isInstance)
                .map(Capability.class::cast).sorted().toList();
        if (!required.isEmpty() && required.stream().noneMatch(caller::has)) {
            List<String> names = required.stream().map(Capability::claim).toList();
            throw new ApiException(403, "forbidden", "this route needs the capability " + String.join(" or ", names)
                    + "; the token of " + caller.subject() + " does not carry it",
                    Map.of("required_capabilities", names));
        }
        TenantGuard.check(ctx, caller, roles);
    }

    /** True when the request carried a verified token (false on public routes). */
    public static boolean isAuthenticated(Context ctx) {
        return ctx.attribute(PRINCIPAL_ATTRIBUTE) != null;
    }

    /** The verified caller of a route that is not public. */
    public static Principal principal(Context ctx) {
        Principal caller = ctx.attribute(PRINCIPAL_ATTRIBUTE);
        if (caller == null) {
            throw new IllegalStateException(ctx.path() + " is public or AuthHandler is not installed: no caller");
        }
        return caller;
    }

    /**
     * The caller of an event stream: a stream outlives the request that opened it, so its token is checked again
     * while it lasts ({@link SseHub.Caller}), as every request checks it.
     */
    public static SseHub.Caller streamCaller(Context ctx) {
        Supplier<SseHub.Refusal> recheck = ctx.attribute(RECHECK_ATTRIBUTE);
        return new SseHub.Caller(principal(ctx).tenant(), recheck);
    }

    /** Why {@code caller}'s token is no longer accepted, as a 401 (or a 503) would say it; null while it is. */
    private SseHub.Refusal recheck(Principal caller) {
        try {
            return tokens.recheck(caller)
                    .map(invalid -> SseHub.Refusal.unauthorized(invalid.reason().code() + ": " + invalid.message()))
                    .orElse(null);
        } catch (JedisException e) {
            return SseHub.Refusal.unavailable("tokens cannot be checked: Redis is unreachable");
        }
    }

    /** Verifies the request's bearer token; 401 with {@code WWW-Authenticate: Bearer} when there is none or it fails. */
    public Principal authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw unauthorized(ctx, "missing_token", "an Authorization: Bearer <JWT> header is required", null);
        }
        if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw unauthorized(ctx, "malformed", "the Authorization header must be 'Bearer <JWT>'", "invalid_request");
        }
        TokenVerification verification;
        try {
            verification = tokens.verify(header.substring(BEARER.length()).trim());
        } catch (JedisException e) {
            throw ApiException.notReady("tokens cannot be checked: Redis is unreachable");
        }
        if (verification instanceof Invalid invalid) {
            throw unauthorized(ctx, invalid.reason().code(), invalid.message(), "invalid_token");
        }
        return ((Valid) verification).principal();
    }

    /** RFC 6750: a challenge on every 401, with an error code when a token was presented. */
    private static ApiException unauthorized(Context ctx, String reason, String message, String bearerError) {
        ctx.header("WWW-Authenticate", bearerError == null ? "Bearer realm=\"soma\""
                : "Bearer realm=\"soma\", error=\"" + bearerError + "\", error_description=\"" + reason + "\"");
        return new ApiException(401, "unauthorized", message, Map.of("reason", reason));
    }
}
