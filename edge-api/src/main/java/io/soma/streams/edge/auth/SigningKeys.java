package io.soma.streams.edge.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * The ES256 keys tokens are signed with, shared by every instance through Redis:
 * {@code identity:keys:current} names the current key id, {@code identity:keys:jwk:<kid>} holds each key
 * (sealed by {@link KeySeal}). Rotation makes a new key current and gives the old one a TTL of
 * {@link TokenLifetime#retiredKeyLifetime()}, so it verifies until the last token it signed has expired.
 * When Redis has lost the keys, a new one is created and every token signed before is refused (unknown kid).
 * Keys sealed with another wrap secret are never replaced: another deployment sharing this Redis may be using them
 * ({@link SigningKeysUnreadable}).
 */
public final class SigningKeys {
    private static final Logger log = LoggerFactory.getLogger(SigningKeys.class);
    /**
     * Compare-and-set of the current kid (KEYS[1]) from ARGV[1] ('' = none) to ARGV[2]; on success the replaced
     * key (KEYS[2]) gets its retirement TTL ARGV[3] ms. Two instances rotating at once agree on one winner.
     */
    private static final String SWAP_CURRENT = """
            local current = redis.call('GET', KEYS[1])
            if (current == false and ARGV[1] == '') or current == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2])
              if ARGV[1] ~= '' then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
              return 1
            end
            return 0
            """;
    private static final SecureRandom random = new SecureRandom();

    private final JedisPooled redis;
    private final String currentKidKey;
    private final String jwkKeyPrefix;
    private final String keysPattern;
    private final KeySeal seal;
    private final Duration retiredKeyLifetime;
    private final Clock clock;

    /** @param namespace prefix of every Redis key ("" in production; tests isolate themselves with it) */
    public SigningKeys(JedisPooled redis, String namespace, KeySeal seal, TokenLifetime lifetime, Clock clock) {
        this.redis = redis;
        this.currentKidKey = namespace + "identity:keys:current";
        this.jwkKeyPrefix = namespace + "identity:keys:jwk:";
        this.keysPattern = namespace + "identity:keys:*";
        this.seal = seal;
        this.retiredKeyLifetime = lifetime.retiredKeyLifetime();
        this.clock = clock;
    }

    /** The key new tokens are signed with; created if Redis holds none (first start, or Redis was lost). */
    public ECKey current() {
        while (true) {
            String kid = redis.get(currentKidKey);
            Optional<ECKey> key = kid == null ? Optional.empty() : find(kid);
            if (key.isPresent()) {
                return key.get();
            }
            Optional<ECKey> created = replaceCurrent(kid == null ? "" : kid);
            if (created.isPresent()) {
                log.warn("no current signing key in Redis (first start, or Redis lost its data{}): created {}; "
                                + "tokens signed by a lost key are refused",
                        kid == null ? "" : "; kid " + kid + " has no key", created.get().getKeyID());
                return created.get();
            }
        }
    }

    /**
     * Whether the key with this id is still held (current or retired, not expired), without opening it: what a token
     * whose signature was already checked with it needs to know.
     */
    public boolean holds(String kid) {
        return redis.exists(jwkKeyPrefix + kid);
    }

    /**
     * The key with this id, current or retired; empty when unknown or expired.
     *
     * @throws SigningKeysUnreadable when it was sealed with another wrap secret
     */
    public Optional<ECKey> find(String kid) {
        String stored = redis.get(jwkKeyPrefix + kid);
        if (stored == null) {
            return Optional.empty();
        }
        return Optional.of(seal.open(stored).orElseThrow(() -> new SigningKeysUnreadable(kid, keysPattern)));
    }

    /**
     * For readiness and start-up: null while this wrap secret opens the current key (or there is none yet, the first
     * signature makes it), else why not and how to fix it.
     */
    public String problem() {
        String kid = redis.get(currentKidKey);
        String stored = kid == null ? null : redis.get(jwkKeyPrefix + kid);
        if (stored == null || seal.open(stored).isPresent()) {
            return null;
        }
        return SigningKeysUnreadable.explain(kid, keysPattern);
    }

    /**
     * Makes a new key current; the previous one keeps verifying until its tokens have expired. When another instance
     * replaced the same key at the same moment, its new key stands (two instances rotating together rotate once).
     *
     * @return the key current afterwards
     */
    public ECKey rotate() {
        return rotateFrom(current());
    }

    /** Rotates when the current key is older than {@code maxAge}; for a periodic task on every instance. */
    public boolean rotateIfOlderThan(Duration maxAge) {
        ECKey key = current();
        if (key.getIssueTime().toInstant().plus(maxAge).isAfter(clock.instant())) {
            return false;
        }
        // from the key found old, not from the current one read again: another instance may have replaced it since
        rotateFrom(key);
        return true;
    }

    private ECKey rotateFrom(ECKey previous) {
        Optional<ECKey> created = replaceCurrent(previous.getKeyID());
        if (created.isEmpty()) {
            return current();
        }
        log.info("signing key rotated: {} is current, {} retires in {}", created.get().getKeyID(),
                previous.getKeyID(), retiredKeyLifetime);
        return created.get();
    }

    /** Retired keys expire in Redis after this long. */
    public Duration retiredKeyLifetime() {
        return retiredKeyLifetime;
    }

    private Optional<ECKey> replaceCurrent(String expectedKid) {
        ECKey fresh = generate();
        String freshKey = jwkKeyPrefix + fresh.getKeyID();
        redis.set(freshKey, seal.seal(fresh));
        Object swapped = redis.eval(SWAP_CURRENT, List.of(currentKidKey, jwkKeyPrefix + expectedKid),
                List.of(expectedKid, fresh.getKeyID(), Long.toString(retiredKeyLifetime.toMillis())));
        if (Long.valueOf(1).equals(swapped)) {
            return Optional.of(fresh);
        }
        redis.del(freshKey); // another instance won the race; its key is the current one
        return Optional.empty();
    }

    private ECKey generate() {
        byte[] id = new byte[12];
        random.nextBytes(id);
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyID("k-" + Base64.getUrlEncoder().withoutPadding().encodeToString(id))
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .issueTime(Date.from(clock.instant()))
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a P-256 signing key", e);
        }
    }
}
