package io.soma.streams.stores.ratelimit;

import io.soma.streams.stores.redis.RedisConnection;
import io.soma.streams.testkit.RedisNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RedisRateLimiterIT {
    private static RedisNamespace namespace;
    private static String prefix;
    private static RedisConnection redis;

    @BeforeAll
    static void connect() {
        namespace = RedisNamespace.create("ratelimit");
        prefix = namespace.prefix() + "ratelimit";
        redis = new RedisConnection(namespace.url());
    }

    @AfterAll
    static void cleanUp() {
        redis.close();
        namespace.close();
    }

    @Test
    void shouldAllowTheBurstThenRefuseWithRetryAfter() {
        // 6 a minute: one token every 10 s, so the test finishes long before a token drips back
        RedisRateLimiter limiter = new RedisRateLimiter(redis.jedis(), prefix, tenant -> RateLimit.perMinute(6));

        for (int i = 0; i < 6; i++) {
            RateLimitDecision decision = limiter.acquire("conv");
            assertThat(decision.allowed()).isTrue();
            assertThat(decision.remaining()).isEqualTo(5 - i);
        }
        RateLimitDecision refused = limiter.acquire("conv");

        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.retryAfterSeconds()).isBetween(1L, 10L);
        assertThat(redis.jedis().pttl(limiter.bucketKey("conv"))).isPositive();
    }

    @Test
    void shouldLimitEachTenantOnItsOwn() {
        // one token every 30 s and every 60 s, the second with a burst above its rate: none drips back while the
        // test runs, however slowly
        Map<String, RateLimit> limits = Map.of("code", RateLimit.perMinute(2), "m-large-0", RateLimit.perMinute(1).withBurst(3));
        RedisRateLimiter limiter = new RedisRateLimiter(redis.jedis(), prefix + ":tenants", limits::get);

        List<Boolean> code = List.of(limiter.acquire("code").allowed(), limiter.acquire("code").allowed(),
                limiter.acquire("code").allowed());
        List<Boolean> other = List.of(limiter.acquire("m-large-0").allowed(), limiter.acquire("m-large-0").allowed(),
                limiter.acquire("m-large-0").allowed(), limiter.acquire("m-large-0").allowed());

        assertThat(code).containsExactly(true, true, false);
        assertThat(other).containsExactly(true, true, true, false);
        assertThat(limiter.acquire("m-large-0").retryAfterSeconds()).isBetween(1L, 60L);
    }

    @Test
    void shouldLetRequestsThroughAndCountThemWhenRedisDoesNotAnswer() {
        // nothing listens on port 1: a real refused connection
        try (RedisConnection unreachable = new RedisConnection("redis://127.0.0.1:1")) {
            RedisRateLimiter limiter = new RedisRateLimiter(unreachable.jedis(), prefix, tenant -> RateLimit.perSecond(1));

            RateLimitDecision first = limiter.acquire("conv");
            RateLimitDecision second = limiter.acquire("conv");

            assertThat(first).isEqualTo(new RateLimitDecision(true, -1, 0));
            assertThat(second.allowed()).isTrue();
            assertThat(limiter.failedOpen()).isEqualTo(2);
        }
    }
}
