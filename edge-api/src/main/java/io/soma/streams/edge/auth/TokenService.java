package io.soma.streams.edge.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.soma.streams.edge.auth.TokenVerification.Invalid;
import io.soma.streams.edge.auth.TokenVerification.Reason;
import io.soma.streams.edge.auth.TokenVerification.Valid;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.SetParams;

import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Issues, verifies and revokes the edge's JWTs. Every issued token is recorded in Redis
 * ({@code identity:issued:<jti>}) until it expires, so it can be revoked by its id; a revoked id is kept
 * ({@code identity:revoked:<jti>}) exactly as long as the token would otherwise be accepted.
 * <p>
 * A token issued with another token carries the chain of its issuers' ids ({@code chain} claim, signed), never
 * outlives its issuer, and is refused once any token of its chain is revoked: revoking a token revokes every token
 * it issued, and theirs, without finding them.
 */
public final class TokenService {
    static final String TENANT_CLAIM = "tenant_id";
    static final String CAPABILITIES_CLAIM = "capabilities";
    static final String CONSTITUTION_CLAIM = "constitution_hash";
    static final String CHAIN_CLAIM = "chain";
    /** How many tokens deep issuing may go: a chain is checked on every request. */
    public static final int MAX_CHAIN = 8;

    private final SigningKeys keys;
    private final JedisPooled redis;
    private final String issuedPrefix;
    private final String revokedPrefix;
    private final IdentityAuditSink audit;
    private final Function<String, String> constitutionHash;
    private final TokenLifetime lifetime;
    private final Clock clock;

    /**
     * @param namespace        prefix of every Redis key ("" in production)
     * @param constitutionHash the hash of the constitution governing a tenant now (its own, else the global one),
     *                         stamped into each token of the tenant; may answer null
     */
    public TokenService(SigningKeys keys, JedisPooled redis, String namespace, IdentityAuditSink audit,
                        Function<String, String> constitutionHash, TokenLifetime lifetime, Clock clock) {
        this.keys = keys;
        this.redis = redis;
        this.issuedPrefix = namespace + "identity:issued:";
        this.revokedPrefix = namespace + "identity:revoked:";
        this.audit = audit;
        this.constitutionHash = constitutionHash;
        this.lifetime = lifetime;
        this.clock = clock;
    }

    public TokenLifetime lifetime() {
        return lifetime;
    }

    /** A token for an API key: the root of a chain. */
    public IssuedToken issue(TokenRequest request, String actor) {
        return issue(request, actor, null);
    }

    /**
     * Signs a token, records it, and audits it; the token is returned only once the audit is written.
     *
     * @param issuer the token that issues this one (null for an API key); the new one expires no later, and is
     *               refused once the issuer, or any token that issued it, is revoked
     */
    public IssuedToken issue(TokenRequest request, String actor, Principal issuer) {
        Duration ttl = request.ttl() == null ? lifetime.maxTtl() : request.ttl();
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(lifetime.maxTtl()) > 0) {
            throw new IllegalArgumentException("token lifetime must be in (0, " + lifetime.maxTtl() + "], got " + ttl);
        }
        List<String> chain = new ArrayList<>();
        if (issuer != null) {
            chain.addAll(issuer.chain());
            chain.add(issuer.jti());
        }
        if (chain.size() > MAX_CHAIN) {
            throw new ChainTooLongException("a token may be issued at most " + MAX_CHAIN
                    + " tokens deep; this one would be " + chain.size() + " deep: issue from an API key instead");
        }
        ECKey key = keys.current();
        Instant issuedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expiresAt = issuedAt.plus(ttl);
        if (issuer != null && expiresAt.isAfter(issuer.expiresAt())) {
            expiresAt = issuer.expiresAt();
        }
        Principal claims = new Principal(UUID.randomUUID().toString(), key.getKeyID(), request.subject(),
                request.tenant(), request.capabilities(), issuedAt, expiresAt, chain);
        String token = sign(key, claims);
        String issuedKey = issuedPrefix + claims.jti();
        redis.hset(issuedKey, Map.of(
                "sub", claims.subject(),
                TENANT_CLAIM, claims.tenant(),
                "kid", claims.kid(),
                CAPABILITIES_CLAIM, String.join(",", Capability.claimsOf(claims.capabilities())),
                "iat", Long.toString(issuedAt.getEpochSecond()),
                "exp", Long.toString(claims.expiresAt().getEpochSecond()),
                CHAIN_CLAIM, String.join(",", chain)));
        redis.pexpireAt(issuedKey, keptUntil(claims).toEpochMilli());
        audit.record(event(UUID.randomUUID().toString(), IdentityEvent.TOKEN_ISSUED, claims, actor,
                issuer == null ? request.tenant() : issuer.tenant()));
        return new IssuedToken(token, claims);
    }

    private static final int SIGNATURE_CACHE_SIZE = 10_000;
    private final Map<String, SignedClaims> signatureChecked = new ConcurrentHashMap<>();

    /** What checking a token's signature gave: its claims, or why it is refused. */
    private sealed interface SignatureCheck {
    }

    private record SignedClaims(Principal claims, String constitutionHash) implements SignatureCheck {
    }

    private record Rejected(Invalid invalid) implements SignatureCheck {
    }

    public TokenVerification verify(String token) {
        // the same token bytes were checked before: skip parsing, opening the sealed key and the ES256 verification
        // (most of a request's cost); the key's retirement, expiry and revocation are still checked every time
        SignedClaims signed = signatureChecked.get(token);
        if (signed == null) {
            SignatureCheck checked = checkSignature(token);
            if (checked instanceof Rejected rejected) {
                return rejected.invalid();
            }
            signed = (SignedClaims) checked;
            if (signatureChecked.size() >= SIGNATURE_CACHE_SIZE) {
                signatureChecked.clear();
            }
            signatureChecked.put(token, signed);
        } else if (!keys.holds(signed.claims().kid())) {
            return unknownKey(signed.claims().kid());
        }
        Principal claims = signed.claims();
        Instant now = clock.instant();
        if (claims.issuedAt().isAfter(now.plus(lifetime.clockSkew()))) {
            return new Invalid(Reason.NOT_YET_VALID, "the token is issued in the future, at " + claims.issuedAt());
        }
        Optional<Invalid> lapsed = lapsed(claims, now);
        return lapsed.isPresent() ? lapsed.get() : new Valid(claims, signed.constitutionHash());
    }

    /**
     * Why a token verified earlier is no longer accepted (its key retired, it expired, it or a token that issued it
     * was revoked); empty while it is. For what outlives the request that verified it, such as an event stream.
     */
    public Optional<Invalid> recheck(Principal claims) {
        return keys.holds(claims.kid()) ? lapsed(claims, clock.instant()) : Optional.of(unknownKey(claims.kid()));
    }

    private Optional<Invalid> lapsed(Principal claims, Instant now) {
        if (now.isAfter(acceptedUntil(claims))) {
            return Optional.of(new Invalid(Reason.EXPIRED, "the token expired at " + claims.expiresAt()));
        }
        if (redis.exists(revokedKeys(claims)) > 0) {
            return Optional.of(new Invalid(Reason.REVOKED,
                    "the token " + claims.jti() + ", or a token that issued it, was revoked"));
        }
        return Optional.empty();
    }

    /** Parses the token, finds its key and checks its signature and claims. */
    private SignatureCheck checkSignature(String token) {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            return new Rejected(new Invalid(Reason.MALFORMED, "the token is not a signed JWT"));
        }
        if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) {
            return new Rejected(new Invalid(Reason.UNSUPPORTED_ALGORITHM,
                    "tokens are signed with ES256; this one says " + jwt.getHeader().getAlgorithm()));
        }
        String kid = jwt.getHeader().getKeyID();
        Optional<ECKey> key = kid == null ? Optional.empty() : keys.find(kid);
        if (key.isEmpty()) {
            return new Rejected(unknownKey(kid));
        }
        if (!signatureMatches(jwt, key.get())) {
            return new Rejected(new Invalid(Reason.BAD_SIGNATURE,
                    "the token's signature does not match its content"));
        }
        try {
            JWTClaimsSet set = jwt.getJWTClaimsSet();
            return new SignedClaims(claims(set, kid), set.getStringClaim(CONSTITUTION_CLAIM));
        } catch (ParseException | RuntimeException e) {
            return new Rejected(new Invalid(Reason.MISSING_CLAIMS,
                    "the token lacks sub, tenant_id, capabilities, iat, exp or jti, or one has the wrong type"));
        }
    }

    private static Invalid unknownKey(String kid) {
        return new Invalid(Reason.UNKNOWN_KEY, "the token's signing key " + kid
                + " is unknown: it was never ours, or it retired and every token it signed has expired");
    }

    /** The token with this id, while it is still accepted (revoked or not); empty once expired or unknown. */
    public Optional<Principal> live(String jti) {
        Map<String, String> stored = redis.hgetAll(issuedPrefix + jti);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Principal(jti, stored.get("kid"), stored.get("sub"), stored.get(TENANT_CLAIM),
                capabilities(stored.get(CAPABILITIES_CLAIM).isEmpty() ? List.of()
                        : Arrays.asList(stored.get(CAPABILITIES_CLAIM).split(","))),
                Instant.ofEpochSecond(Long.parseLong(stored.get("iat"))),
                Instant.ofEpochSecond(Long.parseLong(stored.get("exp"))), chainOf(stored.get(CHAIN_CLAIM))));
    }

    /**
     * Revokes a token for the rest of its life, as {@code caller} asked. Idempotent, and every call audits the one
     * revocation again, by whoever revoked it first and under one event id: an audit write that failed after the
     * revocation is made good by a retry, and the archive keeps one row.
     *
     * @return true when this call revoked it, false when it already was
     */
    public boolean revoke(Principal token, Principal caller) {
        String key = revokedPrefix + token.jti();
        Revoker revoker = new Revoker(caller.tenant(), caller.subject());
        boolean now = redis.set(key, revoker.entry(),
                SetParams.setParams().nx().pxAt(keptUntil(token).toEpochMilli())) != null;
        String entry = now ? null : redis.get(key);
        Revoker first = entry == null ? revoker : Revoker.of(entry);
        audit.record(event(UUID.nameUUIDFromBytes(("token.revoked/" + token.jti()).getBytes(StandardCharsets.UTF_8))
                .toString(), IdentityEvent.TOKEN_REVOKED, token, first.subject(), first.tenant()));
        return now;
    }

    /** Who revoked a token, as its revocation entry keeps it: {@code tenant:subject} (a tenant id holds no ':'). */
    private record Revoker(String tenant, String subject) {
        /** An entry of an older version, or one restored from the archive without a tenant, names none. */
        static Revoker of(String entry) {
            int colon = entry.indexOf(':');
            return colon < 0 ? new Revoker(null, entry)
                    : new Revoker(colon == 0 ? null : entry.substring(0, colon), entry.substring(colon + 1));
        }

        String entry() {
            return tenant + ":" + subject;
        }
    }

    /** The revocation keys of the token and of every token that issued it. */
    private String[] revokedKeys(Principal token) {
        String[] keys = new String[token.chain().size() + 1];
        for (int i = 0; i < token.chain().size(); i++) {
            keys[i] = revokedPrefix + token.chain().get(i);
        }
        keys[keys.length - 1] = revokedPrefix + token.jti();
        return keys;
    }

    private static List<String> chainOf(String joined) {
        return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split(","));
    }

    private Instant acceptedUntil(Principal token) {
        return token.expiresAt().plus(lifetime.clockSkew());
    }

    /**
     * How long Redis keeps what it knows of a token (issued, revoked): a skew past {@link #acceptedUntil}, by Redis's
     * clock. An edge whose clock runs behind Redis's, by up to the skew, still accepts the token that long, and must
     * still find its revocation.
     */
    private Instant keptUntil(Principal token) {
        return acceptedUntil(token).plus(lifetime.clockSkew());
    }

    private String sign(ECKey key, Principal claims) {
        JWTClaimsSet.Builder set = new JWTClaimsSet.Builder()
                .subject(claims.subject())
                .claim(TENANT_CLAIM, claims.tenant())
                .claim(CAPABILITIES_CLAIM, Capability.claimsOf(claims.capabilities()))
                .issueTime(Date.from(claims.issuedAt()))
                .expirationTime(Date.from(claims.expiresAt()))
                .jwtID(claims.jti());
        if (!claims.chain().isEmpty()) {
            set.claim(CHAIN_CLAIM, claims.chain());
        }
        String hash = constitutionHash.apply(claims.tenant());
        if (hash != null) {
            set.claim(CONSTITUTION_CLAIM, hash);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), set.build());
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign with key " + key.getKeyID(), e);
        }
        return jwt.serialize();
    }

    private static boolean signatureMatches(SignedJWT jwt, ECKey key) {
        try {
            return jwt.verify(new ECDSAVerifier(key.toECPublicKey()));
        } catch (JOSEException e) {
            return false;
        }
    }

    private static Principal claims(JWTClaimsSet set, String kid) throws ParseException {
        List<String> capabilities = set.getStringListClaim(CAPABILITIES_CLAIM);
        List<String> chain = set.getStringListClaim(CHAIN_CLAIM);
        Principal claims = new Principal(set.getJWTID(), kid, set.getSubject(), set.getStringClaim(TENANT_CLAIM),
                capabilities(capabilities == null ? List.of() : capabilities),
                set.getIssueTime().toInstant(), set.getExpirationTime().toInstant(), chain == null ? List.of() : chain);
        if (claims.jti() == null || claims.subject() == null || claims.tenant() == null) {
            throw new ParseException("missing claim", 0);
        }
        return claims;
    }

    /** Names this version does not know are dropped: they grant nothing here. */
    private static Set<Capability> capabilities(List<String> names) {
        Set<Capability> out = EnumSet.noneOf(Capability.class);
        names.forEach(name -> Capability.fromClaim(name).ifPresent(out::add));
        return out;
    }

    private IdentityEvent event(String eventId, String action, Principal token, String actor, String actorTenant) {
        return new IdentityEvent(eventId, action, token.tenant(), token.subject(), actor,
                actorTenant, token.jti(), token.kid(), Capability.claimsOf(token.capabilities()), clock.instant());
    }

    /** Issuing would make a chain longer than {@link #MAX_CHAIN}. */
    public static final class ChainTooLongException extends RuntimeException {
        ChainTooLongException(String message) {
            super(message);
        }
    }
}
