package io.soma.streams.stores.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.TrainingLock;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.schemas.TrainingLockHolder;
import org.apache.kafka.common.serialization.Deserializer;
import redis.clients.jedis.JedisPooled;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Mirrors {@code training.state} into Redis {@code training:lock:{tenant}} (JSON, with a TTL matching the
 * lock's expiry) for gateways; re-warmed after a Redis restart or flush ({@link RedisMirror}).
 */
public final class TrainingLockMirror implements AutoCloseable {
    public static final String KEY_PREFIX = "training:lock:";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RedisMirror<TrainingModeState> mirror;

    /** @param namespace put before {@link #KEY_PREFIX} (the process's {@code redis.key.prefix}, "" by default) */
    public TrainingLockMirror(String bootstrapServers, String topic, Deserializer<TrainingModeState> values,
                              JedisPooled redis, String namespace, Duration recheckEvery) {
        this.mirror = new RedisMirror<>(bootstrapServers, topic, values, namespace + KEY_PREFIX,
                TrainingLockMirror::project, redis, recheckEvery);
    }

    /** Tenant → in training mode now, for the {@code training_mode_state} gauge. */
    public Map<String, Boolean> states() {
        Instant now = Instant.now();
        Map<String, Boolean> out = new LinkedHashMap<>();
        mirror.latest().forEach((tenant, state) -> out.put(tenant, held(state, now)));
        return out;
    }

    public long redisFailures() {
        return mirror.redisFailures();
    }

    private static Optional<RedisMirror.Mirrored> project(TrainingModeState state, Instant now) {
        if (!held(state, now)) {
            return Optional.empty();
        }
        TrainingLock lock = state.getLock();
        return Optional.of(new RedisMirror.Mirrored(json(state.getTenant(), lock),
                Duration.between(now, lock.getExpiresAt())));
    }

    private static boolean held(TrainingModeState state, Instant now) {
        return state.getEnabled() && state.getLock() != null && now.isBefore(state.getLock().getExpiresAt());
    }

    private static String json(String tenant, TrainingLock lock) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("enabled", true);
        out.put("locked_by", lock.getLockedBy());
        out.put("locked_by_tenant", TrainingLockHolder.tenantOf(lock, tenant));
        out.put("locked_at", lock.getLockedAt().toString());
        out.put("reason", lock.getReason());
        out.put("expires_at", lock.getExpiresAt().toString());
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        mirror.close();
    }
}
