package io.soma.streams.edge;

import com.nimbusds.jwt.SignedJWT;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.stores.ratelimit.RedisRateLimiter;
import io.soma.streams.stores.redis.ConstitutionHashMirror;
import io.soma.streams.stores.redis.TrainingLockMirror;
import io.soma.streams.testkit.Await;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code redis.key.prefix}: every Redis key a process writes (signing keys, issued and revoked tokens, rate-limit
 * buckets, the training-lock and constitution mirrors) is under its prefix, so that a demo and tests sharing one
 * Redis never touch each other's keys. Keys are checked by name: other processes may be using this Redis.
 */
class RedisKeyPrefixIT {

    @Test
    void shouldWriteEveryRedisKeyUnderItsPrefix() throws Exception {
        // a bucket that refills slowly lives long enough to be looked at: its key expires once the bucket is full
        try (EdgeFixture edge = new EdgeFixture(Map.of("constitution.trusted.keys", "example",
                "policy.load.examples", "true", "ratelimit.tenant.per.second", "1", "ratelimit.tenant.burst", "100"))
                .awaitReady()) {
            String tenant = EdgeFixture.tenants("prefix", 1).get(0);
            String token = edge.tokenFor(tenant, "dana", Set.of(Capability.CONVERSATION));
            SignedJWT jwt = SignedJWT.parse(token);
            String kid = jwt.getHeader().getKeyID();
            String jti = jwt.getJWTClaimsSet().getJWTID();
            // an authenticated request of the tenant: it takes from the tenant's bucket
            HttpResponse<String> revoked = edge.post("/v1/tokens/revoke", token, EdgeFixture.json(Map.of("jti", jti)));
            assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
            assertThat(revoked.headers().firstValue("X-RateLimit-Remaining")).as("limited through Redis").isPresent();
            HttpResponse<String> enabled = edge.post("/v1/training/enable", edge.adminToken(),
                    EdgeFixture.json(Map.of("tenant", tenant, "reason", "prefix")));
            assertThat(enabled.statusCode()).as(enabled.body()).isEqualTo(200);
            JedisPooled redis = edge.redis();
            String constitution = ConstitutionHashMirror.KEY_PREFIX + Constitution.GLOBAL_SCOPE;
            Await.until("the mirrors' keys under the prefix", EdgeFixture.AWAIT_TIMEOUT,
                    () -> redis.exists(edge.redisKey(TrainingLockMirror.KEY_PREFIX + tenant))
                            && redis.exists(edge.redisKey(constitution)));

            List<String> ownKeys = List.of("identity:keys:jwk:" + kid, "identity:issued:" + jti,
                    "identity:revoked:" + jti, RedisRateLimiter.DEFAULT_PREFIX + ":" + tenant + ":bucket",
                    TrainingLockMirror.KEY_PREFIX + tenant);
            assertThat(ownKeys).allSatisfy(key -> {
                assertThat(redis.exists(edge.redisKey(key))).as("%s under the prefix", key).isTrue();
                assertThat(redis.exists(key)).as("%s without the prefix", key).isFalse();
            });
            // keys that a demo on this Redis has too: this process's values are only under its prefix
            assertThat(redis.get(edge.redisKey("identity:keys:current"))).isEqualTo(kid);
            assertThat(redis.get("identity:keys:current")).isNotEqualTo(kid);
            assertThat(redis.get(edge.redisKey(constitution))).isEqualTo(ExamplePolicy.constitution().hash());
        }
    }
}
