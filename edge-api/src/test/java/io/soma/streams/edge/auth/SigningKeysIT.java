package io.soma.streams.edge.auth;

import com.nimbusds.jose.jwk.ECKey;
import io.soma.streams.testkit.RedisNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import redis.clients.jedis.JedisPooled;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signing keys in the real Redis, under a key prefix of each test's own. */
class SigningKeysIT {
    private static final TokenLifetime LIFETIME = new TokenLifetime(Duration.ofMinutes(15), Duration.ofSeconds(30));
    private static final KeySeal SEAL = KeySeal.withSecret(AuthTestSupport.randomBytes());
    private final RedisNamespace namespace = RedisNamespace.create("signing_keys");
    private final JedisPooled redis = namespace.redis();
    private final String prefix = namespace.prefix();

    @AfterEach
    void cleanUp() {
        namespace.close();
    }

    private SigningKeys keys(KeySeal seal, Clock clock) {
        return new SigningKeys(redis, prefix, seal, LIFETIME, clock);
    }

    @Test
    void shouldKeepTheCurrentKeyAcrossARestart() {
        ECKey first = keys(SEAL, Clock.systemUTC()).current();

        ECKey afterRestart = keys(SEAL, Clock.systemUTC()).current();

        assertSameKey(afterRestart, first);
    }

    @Test
    void shouldKeepThePreviousKeyOnlyUntilItsTokensHaveExpired() {
        SigningKeys keys = keys(SEAL, Clock.systemUTC());
        ECKey previous = keys.current();

        ECKey rotated = keys.rotate();

        assertThat(rotated.getKeyID()).isNotEqualTo(previous.getKeyID());
        assertThat(keys.current().getKeyID()).isEqualTo(rotated.getKeyID());
        assertSameKey(keys.find(previous.getKeyID()).orElseThrow(), previous);
        long previousTtl = redis.pttl(prefix + "identity:keys:jwk:" + previous.getKeyID());
        assertThat(previousTtl).isPositive().isLessThanOrEqualTo(LIFETIME.retiredKeyLifetime().toMillis());
        assertThat(redis.pttl(prefix + "identity:keys:jwk:" + rotated.getKeyID())).isEqualTo(-1);
    }

    @Test
    void shouldCreateANewKeyWhenRedisHasLostThem() {
        ECKey lost = keys(SEAL, Clock.systemUTC()).current();
        namespace.clear();

        ECKey fresh = keys(SEAL, Clock.systemUTC()).current();

        assertThat(fresh.getKeyID()).isNotEqualTo(lost.getKeyID());
        assertThat(keys(SEAL, Clock.systemUTC()).find(lost.getKeyID())).isEmpty();
    }

    @Test
    void shouldStoreThePrivateKeyEncryptedWithTheWrapSecret() {
        ECKey key = keys(SEAL, Clock.systemUTC()).current();

        String stored = redis.get(prefix + "identity:keys:jwk:" + key.getKeyID());

        assertThat(stored).doesNotContain(key.getD().toString()).doesNotContain("\"d\"");
        assertSameKey(keys(SEAL, Clock.systemUTC()).find(key.getKeyID()).orElseThrow(), key);
        SigningKeys otherSecret = keys(KeySeal.withSecret(AuthTestSupport.randomBytes()), Clock.systemUTC());
        assertThatThrownBy(() -> otherSecret.find(key.getKeyID()))
                .isInstanceOf(SigningKeysUnreadable.class)
                .hasMessageContaining("identity.keys.wrap.secret")
                .hasNoCause();
    }

    @Test
    void shouldNeitherOpenNorReplaceKeysThatAnotherSecretSealed() {
        ECKey key = keys(SEAL, Clock.systemUTC()).current();
        String sealedKey = redis.get(prefix + "identity:keys:jwk:" + key.getKeyID());
        byte[] otherSecret = AuthTestSupport.randomBytes();
        SigningKeys otherDeployment = keys(KeySeal.withSecret(otherSecret), Clock.systemUTC());

        assertThat(List.<ThrowingCallable>of(otherDeployment::current, otherDeployment::rotate,
                () -> otherDeployment.rotateIfOlderThan(Duration.ZERO))).allSatisfy(use ->
                assertThatThrownBy(use).isInstanceOfSatisfying(SigningKeysUnreadable.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.getMessage()).contains("identity.keys.wrap.secret", key.getKeyID(),
                                    prefix + "identity:keys:*")
                            .doesNotContain(Base64.getEncoder().encodeToString(otherSecret))
                            .doesNotContain(key.getD().toString());
                }));

        assertThat(redis.get(prefix + "identity:keys:current")).isEqualTo(key.getKeyID());
        assertThat(redis.get(prefix + "identity:keys:jwk:" + key.getKeyID())).isEqualTo(sealedKey);
        assertThat(redis.keys(prefix + "identity:keys:jwk:*")).hasSize(1);
        assertSameKey(keys(SEAL, Clock.systemUTC()).current(), key);
    }

    @Test
    void shouldReportAProblemOnlyWhenTheCurrentKeyWasSealedWithAnotherSecret() {
        SigningKeys otherDeployment = keys(KeySeal.withSecret(AuthTestSupport.randomBytes()), Clock.systemUTC());
        String beforeAnyKey = otherDeployment.problem();
        keys(SEAL, Clock.systemUTC()).current();

        assertThat(beforeAnyKey).as("a first start makes its key").isNull();
        assertThat(keys(SEAL, Clock.systemUTC()).problem()).isNull();
        assertThat(otherDeployment.problem()).contains("identity.keys.wrap.secret", prefix + "identity:keys:*");
    }

    @Test
    void shouldRotateOnlyAKeyOlderThanTheRotationPeriod() {
        ECKey key = keys(SEAL, Clock.systemUTC()).current();

        boolean rotatedEarly = keys(SEAL, Clock.systemUTC()).rotateIfOlderThan(Duration.ofDays(7));
        Clock eightDaysLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(8));
        boolean rotatedLate = keys(SEAL, eightDaysLater).rotateIfOlderThan(Duration.ofDays(7));

        assertThat(rotatedEarly).isFalse();
        assertThat(rotatedLate).isTrue();
        assertThat(keys(SEAL, Clock.systemUTC()).current().getKeyID()).isNotEqualTo(key.getKeyID());
    }

    /** Every instance checks the key's age on its own schedule: instances that find it old at once rotate it once. */
    @Test
    void shouldRotateOnceWhenInstancesFindTheKeyOldAtTheSameMoment() throws Exception {
        ECKey key = keys(SEAL, Clock.systemUTC()).current();
        Clock eightDaysLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(8));
        int instances = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            List<Future<Boolean>> rotations = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                SigningKeys instance = keys(SEAL, eightDaysLater);
                rotations.add(pool.submit(() -> {
                    start.await();
                    return instance.rotateIfOlderThan(Duration.ofDays(7));
                }));
            }
            start.countDown();
            for (Future<Boolean> rotation : rotations) {
                rotation.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(redis.keys(prefix + "identity:keys:jwk:*")).as("the old key, retiring, and one new key")
                .hasSize(2).contains(prefix + "identity:keys:jwk:" + key.getKeyID());
    }

    /** Private and public parts alike (ECKey.equals also compares the parsed issue time's milliseconds). */
    private static void assertSameKey(ECKey actual, ECKey expected) {
        assertThat(actual.toJSONObject()).isEqualTo(expected.toJSONObject());
    }
}
