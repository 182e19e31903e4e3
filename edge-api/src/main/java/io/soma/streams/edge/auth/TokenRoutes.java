package io.soma.streams.edge.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.edge.auth.TokenVerification.Invalid;
import io.soma.streams.edge.auth.TokenVerification.Valid;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.tenancy.TenantGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code POST /v1/tokens/issue|verify|revoke}.
 * <ul>
 *   <li>issue (public route): an API key ({@code X-Api-Key} header or {@code api_key} in the body) is exchanged
 *   for a token of its own user, optionally narrowed ({@code capabilities}) and shortened ({@code ttl_seconds});
 *   without an API key, a bearer token with {@code identity.admin} issues for a {@code subject} of its own
 *   {@code tenant} (a platform operator: of any existing tenant), with {@code capabilities} it holds itself (no
 *   escalation) and the subject holds now; the token expires no later than the admin's and is revoked with it; each
 *   issue counts against the rate limit of the tenant it is for; API-key lookups run a bounded number at once
 *   ({@link ApiKeyLookupLimit}: 503 {@code busy} beyond);</li>
 *   <li>verify (any valid token): {@code {token}} answers {@code {valid, claims}} or {@code {valid:false, reason,
 *   message}}; a valid token of another tenant answers 404;</li>
 *   <li>revoke (any valid token): {@code {jti}} of a live token; allowed to {@code identity.admin} of the token's
 *   tenant and to the token's own subject; another tenant's token is answered 404; repeating it answers {@code already_revoked:true}.</li>
 * </ul>
 */
public final class TokenRoutes {
    private static final Logger log = LoggerFactory.getLogger(TokenRoutes.class);

    private final TokenService tokens;
    private final IdentityStore identities;
    private final AuthHandler auth;
    private final ApiKeyLookupLimit apiKeyLookups;
    private final Supplier<String> apiKeysPending;

    /**
     * @param apiKeysPending null once the API keys in PostgreSQL are this configuration's (the bootstrap key in place,
     *                       an earlier one retired), else why not: until then no API key is exchanged
     */
    public TokenRoutes(TokenService tokens, IdentityStore identities, AuthHandler auth,
                       ApiKeyLookupLimit apiKeyLookups, Supplier<String> apiKeysPending) {
        this.tokens = tokens;
        this.identities = identities;
        this.auth = auth;
        this.apiKeyLookups = apiKeyLookups;
        this.apiKeysPending = apiKeysPending;
    }

    /** @param chargeTenant counts the issue against the rate of the tenant it is for (429 when over it) */
    public void issue(Context ctx, Consumer<String> chargeTenant) {
        withStores(ctx, c -> {
            JsonNode body = JsonBody.object(c);
            String apiKey = firstNonBlank(c.header("X-Api-Key"), JsonBody.text(body, "api_key"));
            Set<Capability> requested = capabilities(body);
            Duration ttl = ttl(body);
            IssuedToken issued;
            if (apiKey != null) {
                issued = issueForApiKey(c, apiKey, body, requested, ttl, chargeTenant);
            } else if (c.header("Authorization") != null) {
                issued = issueAsAdmin(auth.authenticate(c), body, requested, ttl, chargeTenant);
            } else {
                c.header("WWW-Authenticate", "Bearer realm=\"soma\"");
                throw new ApiException(401, "unauthorized", "send an API key (X-Api-Key header or api_key in the "
                        + "body), or a bearer token with identity.admin", Map.of("reason", "missing_credentials"));
            }
            // a bearer token: no cache may keep it (RFC 6749 5.1)
            c.header("Cache-Control", "no-store");
            c.status(201).json(issuedBody(issued));
        });
    }

    public void verify(Context ctx) {
        withStores(ctx, c -> {
            String token = JsonBody.required(JsonBody.object(c), "token");
            TokenVerification verification = tokens.verify(token);
            Map<String, Object> answer = new LinkedHashMap<>();
            if (verification instanceof Valid valid && !TenantGuard.owns(AuthHandler.principal(c), valid.principal().tenant())) {
                // whose tokens exist, and what they allow, is no other tenant's business
                throw ApiException.notFound("no token of tenant " + AuthHandler.principal(c).tenant() + " matches");
            }
            if (verification instanceof Valid valid) {
                answer.put("valid", true);
                answer.put("claims", claims(valid.principal(), valid.constitutionHash()));
            } else {
                Invalid invalid = (Invalid) verification;
                answer.put("valid", false);
                answer.put("reason", invalid.reason().code());
                answer.put("message", invalid.message());
            }
            c.json(answer);
        });
    }

    public void revoke(Context ctx) {
        withStores(ctx, c -> {
            Principal caller = AuthHandler.principal(c);
            String jti = JsonBody.required(JsonBody.object(c), "jti");
            // another tenant's token is as unknown as one never issued: ids cannot be probed
            Principal token = tokens.live(jti).filter(t -> TenantGuard.owns(caller, t.tenant()))
                    .orElseThrow(() -> ApiException.notFound(
                            "no live token has jti " + jti + " (never issued, or already expired)"));
            boolean own = token.subject().equals(caller.subject()) && token.tenant().equals(caller.tenant());
            if (!own && !caller.has(Capability.IDENTITY_ADMIN)) {
                throw new ApiException(403, "forbidden", "only the token's own subject or identity.admin may revoke it",
                        Map.of("required_capabilities", List.of(Capability.IDENTITY_ADMIN.claim())));
            }
            if (!own) {
                try {
                    HeldNow.require(identities, caller, Capability.IDENTITY_ADMIN, token.tenant());
                } catch (IdentityStore.IdentityStoreException e) {
                    // a revocation only takes power away: a leaked token is revoked on the token's claim while
                    // PostgreSQL cannot say what its user holds now
                    log.warn("revoking {} on {}'s token claims: the identity store cannot be read ({})", jti,
                            caller.subject(), e.getMessage());
                }
            }
            boolean revokedNow = tokens.revoke(token, caller);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("jti", jti);
            answer.put("revoked", true);
            answer.put("already_revoked", !revokedNow);
            c.json(answer);
        });
    }

    private IssuedToken issueForApiKey(Context ctx, String apiKey, JsonNode body, Set<Capability> requested,
                                       Duration ttl, Consumer<String> chargeTenant) {
        if (apiKeysPending.get() != null) {
            // a bootstrap key taken out of the configuration still works until the store has retired it
            throw ApiException.notReady("API keys are not accepted until the identity store is prepared");
        }
        Identity owner = apiKeyLookups.lookUp(ctx, () -> identities.findByApiKey(apiKey)).orElseThrow(() -> new ApiException(401, "unauthorized",
                "unknown or revoked API key", Map.of("reason", "unknown_api_key")));
        if (body.hasNonNull("subject") || body.hasNonNull("tenant")) {
            throw ApiException.badRequest("an API key issues for its own user; subject and tenant are for identity.admin");
        }
        Set<Capability> granted = requested == null ? owner.capabilities() : requested;
        requireHeld(granted, owner.capabilities(), owner.subject());
        chargeTenant.accept(owner.tenant());
        return tokens.issue(new TokenRequest(owner.subject(), owner.tenant(), granted, ttl), "apikey:" + owner.subject());
    }

    /**
     * What the admin's token and its user hold now (a capability removed in PostgreSQL stops being grantable at
     * once), and what the subject holds now, bound what is granted; the token is the admin token's child.
     */
    private IssuedToken issueAsAdmin(Principal admin, JsonNode body, Set<Capability> requested, Duration ttl,
                                     Consumer<String> chargeTenant) {
        Set<Capability> adminHolds = HeldNow.require(identities, admin, Capability.IDENTITY_ADMIN, null);
        String subject = JsonBody.required(body, "subject");
        String tenant = JsonBody.required(body, "tenant");
        TenantGuard.requireActsOn(admin, tenant);
        HeldNow.requireOn(adminHolds, admin, tenant);
        if (requested == null) {
            throw ApiException.badRequest("capabilities is required when issuing for another subject");
        }
        requireHeld(requested, adminHolds, admin.subject());
        Set<Capability> subjectHolds = identities.capabilitiesOf(tenant, subject).orElseThrow(() ->
                ApiException.notFound("tenant " + tenant + " has no user " + subject));
        requireHeld(requested, subjectHolds, subject);
        // a token names its subject, and some checks trust the name (a training lock's holder may extend it): an
        // admin speaks only for users whose capabilities it holds itself, as for their API keys
        HeldNow.requireCovers(adminHolds, subjectHolds, "tokens for " + subject + " speak for a user holding "
                + "capabilities " + admin.subject() + " does not hold");
        chargeTenant.accept(tenant);
        try {
            return tokens.issue(new TokenRequest(subject, tenant, requested, ttl), admin.subject(), admin);
        } catch (TokenService.ChainTooLongException e) {
            throw new ApiException(403, "forbidden", e.getMessage(), Map.of("max_chain", TokenService.MAX_CHAIN));
        }
    }

    private static void requireHeld(Set<Capability> wanted, Set<Capability> held, String holder) {
        Set<Capability> missing = Capability.beyond(wanted, held);
        if (!missing.isEmpty()) {
            throw new ApiException(403, "forbidden", holder + " does not hold every capability asked for",
                    Map.of("not_held", Capability.claimsOf(missing)));
        }
    }

    private Duration ttl(JsonNode body) {
        JsonNode seconds = body.get("ttl_seconds");
        if (seconds == null || seconds.isNull()) {
            return null;
        }
        Duration max = tokens.lifetime().maxTtl();
        if (!seconds.canConvertToLong() || seconds.asLong() <= 0 || seconds.asLong() > max.toSeconds()) {
            throw ApiException.unprocessable("ttl_seconds must be a whole number in 1.." + max.toSeconds(),
                    Map.of("field", "ttl_seconds"));
        }
        return Duration.ofSeconds(seconds.asLong());
    }

    /** null when the body names none; unknown names are refused, not silently dropped. */
    private static Set<Capability> capabilities(JsonNode body) {
        JsonNode names = body.get("capabilities");
        if (names == null || names.isNull()) {
            return null;
        }
        if (!names.isArray()) {
            throw ApiException.badRequest("capabilities must be an array of names");
        }
        Set<Capability> out = EnumSet.noneOf(Capability.class);
        for (JsonNode name : names) {
            out.add(Capability.fromClaim(name.asText()).orElseThrow(() -> ApiException.unprocessable(
                    "unknown capability " + name.asText(), Map.of("known", Capability.claimsOf(Capability.all())))));
        }
        return out;
    }

    private static Map<String, Object> issuedBody(IssuedToken issued) {
        Principal claims = issued.claims();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("token", issued.token());
        answer.put("token_type", "Bearer");
        answer.put("expires_in", Duration.between(claims.issuedAt(), claims.expiresAt()).toSeconds());
        answer.put("jti", claims.jti());
        answer.put("kid", claims.kid());
        answer.put("sub", claims.subject());
        answer.put("tenant_id", claims.tenant());
        answer.put("capabilities", Capability.claimsOf(claims.capabilities()));
        answer.put("exp", claims.expiresAt().getEpochSecond());
        return answer;
    }

    private static Map<String, Object> claims(Principal claims, String constitutionHash) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sub", claims.subject());
        out.put("tenant_id", claims.tenant());
        out.put("capabilities", Capability.claimsOf(claims.capabilities()));
        out.put("iat", claims.issuedAt().getEpochSecond());
        out.put("exp", claims.expiresAt().getEpochSecond());
        out.put("jti", claims.jti());
        out.put("kid", claims.kid());
        out.put("constitution_hash", constitutionHash);
        return out;
    }

    private static String firstNonBlank(String first, String second) {
        return first != null && !first.isBlank() ? first : second;
    }

    /** Redis and PostgreSQL being down is the edge not being ready, not a server bug; for every identity route. */
    public static void withStores(Context ctx, Consumer<Context> handler) {
        try {
            handler.accept(ctx);
        } catch (JedisException e) {
            throw ApiException.notReady("the token store (Redis) is unavailable");
        } catch (IdentityStore.IdentityStoreException e) {
            throw ApiException.notReady("the identity store (PostgreSQL) is unavailable");
        }
    }
}
