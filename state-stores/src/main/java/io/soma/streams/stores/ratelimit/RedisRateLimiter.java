package io.soma.streams.stores.ratelimit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Per-tenant rate limiting shared by every instance, as a token bucket kept in Redis.
 * <p>
 * One hash per tenant, {@code <prefix>:<tenant>:bucket} = {tokens, ts}, updated by a Lua script, so the
 * read-refill-take step is atomic across instances. The script reads Redis's own clock ({@code TIME}), so instance
 * clocks may differ. A token bucket rather than fixed windows: no double burst at a window edge, and the
 * Retry-After is exact (the time until one token has dripped back). The key expires once a bucket would be full
 * again, so idle tenants cost nothing.
 * <p>
 * Redis is a cache here (docs/architecture.md): when it does not answer, requests are let through (fail open), counted in
 * {@link #failedOpen()} and logged once per outage — an outage of the limiter must not become an outage of the API.
 */
public final class RedisRateLimiter {
    public static final String DEFAULT_PREFIX = "ratelimit";
    private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);

    // KEYS[1] bucket; ARGV: size, tokens per ms, ttl ms. Returns {allowed 0|1, whole tokens left, ms until next token}.
    private static final String SCRIPT = """
            local size = tonumber(ARGV[1])
            local rate = tonumber(ARGV[2])
            local clock = redis.call('TIME')
            local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
            local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
            local tokens = tonumber(state[1])
            local ts = tonumber(state[2])
            if tokens == nil or ts == nil then
              tokens = size
              ts = now
            end
            if now > ts then
              tokens = math.min(size, tokens + (now - ts) * rate)
              ts = now
            end
            local allowed = 0
            local wait = 0
            if tokens >= 1 then
              tokens = tokens - 1
              allowed = 1
            else
              wait = math.ceil((1 - tokens) / rate)
            end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return {allowed, math.floor(tokens), wait}
            """;
    private static final String SCRIPT_SHA = sha1(SCRIPT);

    private final JedisPooled jedis;
    private final String prefix;
    private final Function<String, RateLimit> limits;
    private final AtomicLong failedOpen = new AtomicLong();
    private final AtomicBoolean redisDown = new AtomicBoolean();

    /**
     * @param prefix key prefix, {@value #DEFAULT_PREFIX} in production
     * @param limits the limit of each tenant, never null (e.g. a default with per-tenant overrides from config)
     */
    public RedisRateLimiter(JedisPooled jedis, String prefix, Function<String, RateLimit> limits) {
        this.jedis = Objects.requireNonNull(jedis, "jedis");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Takes one request from the tenant's bucket. */
    public RateLimitDecision acquire(String tenant) {
        RateLimit limit = Objects.requireNonNull(limits.apply(Objects.requireNonNull(tenant, "tenant")),
                () -> "no rate limit for tenant " + tenant);
        List<String> keys = List.of(bucketKey(tenant));
        List<String> args = List.of(Long.toString(limit.burst()), Double.toString(limit.refillPerMilli()),
                Long.toString(limit.millisToFill() + 1_000));
        try {
            List<?> reply = (List<?>) evaluate(keys, args);
            if (redisDown.compareAndSet(true, false)) {
                log.info("rate limiter: Redis answers again, limits apply");
            }
            boolean allowed = ((Long) reply.get(0)) == 1L;
            long waitMillis = (Long) reply.get(2);
            return new RateLimitDecision(allowed, (Long) reply.get(1), allowed ? 0 : Math.max(1, ceilDiv(waitMillis, 1_000)));
        } catch (JedisException e) {
            failedOpen.incrementAndGet();
            if (redisDown.compareAndSet(false, true)) {
                log.warn("rate limiter: Redis does not answer ({}); letting requests through until it does",
                        e.getMessage());
            }
            return RateLimitDecision.failedOpen();
        }
    }

    /** Requests let through unchecked because Redis did not answer. */
    public long failedOpen() {
        return failedOpen.get();
    }

    String bucketKey(String tenant) {
        return prefix + ":" + tenant + ":bucket";
    }

    private Object evaluate(List<String> keys, List<String> args) {
        try {
            return jedis.evalsha(SCRIPT_SHA, keys, args);
        } catch (JedisNoScriptException e) {
            return jedis.eval(SCRIPT, keys, args); // first use on this Redis, or after a restart: loads the script
        }
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-1", e);
        }
    }
}
