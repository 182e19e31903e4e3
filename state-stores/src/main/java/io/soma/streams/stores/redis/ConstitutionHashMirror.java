package io.soma.streams.stores.redis;

import io.soma.streams.avro.ConstitutionBundle;
import org.apache.kafka.common.serialization.Deserializer;
import redis.clients.jedis.JedisPooled;

import java.time.Duration;
import java.util.Optional;

/**
 * Mirrors {@code constitution.active} (the policy app's verified bundles, keyed by tenant or {@code global}) into
 * Redis {@code constitution:{tenant}} = the bundle's hash: the key the platform's other services read. No expiry;
 * re-warmed after a Redis restart or flush ({@link RedisMirror}).
 */
public final class ConstitutionHashMirror implements AutoCloseable {
    public static final String KEY_PREFIX = "constitution:";

    private final RedisMirror<ConstitutionBundle> mirror;

    /** @param namespace put before {@link #KEY_PREFIX} (the process's {@code redis.key.prefix}, "" by default) */
    public ConstitutionHashMirror(String bootstrapServers, String topic, Deserializer<ConstitutionBundle> values,
                                  JedisPooled redis, String namespace, Duration recheckEvery) {
        this.mirror = new RedisMirror<>(bootstrapServers, topic, values, namespace + KEY_PREFIX,
                (bundle, now) -> Optional.of(new RedisMirror.Mirrored(bundle.getHash(), null)), redis, recheckEvery);
    }

    public long redisFailures() {
        return mirror.redisFailures();
    }

    @Override
    public void close() {
        mirror.close();
    }
}
