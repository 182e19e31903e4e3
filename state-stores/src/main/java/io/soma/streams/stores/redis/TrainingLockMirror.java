package io.soma.streams.stores.redis;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.TrainingLock;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.stores.kafka.TopicFollower;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.SetParams;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mirrors {@code training.state} into Redis {@code training:lock:{tenant}} (JSON, with a TTL matching the
 * lock's expiry) for gateways. Reads the compacted topic from the start at every boot, so a restarted Redis is
 * re-warmed; checks every few seconds that each held lock is still in Redis, so a flushed Redis is too.
 * Redis being down only delays the mirror.
 */
public final class TrainingLockMirror implements AutoCloseable {
    public static final String KEY_PREFIX = "training:lock:";
    private static final Logger log = LoggerFactory.getLogger(TrainingLockMirror.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JedisPooled redis;
    private final Duration recheckEvery;
    private final Map<String, TrainingModeState> latest = new ConcurrentHashMap<>();
    private final AtomicLong redisFailures = new AtomicLong();
    private final TopicFollower<TrainingModeState> follower;
    private long nextCheck;

    public TrainingLockMirror(String bootstrapServers, String topic, Deserializer<TrainingModeState> values,
                              JedisPooled redis, Duration recheckEvery) {
        this.redis = redis;
        this.recheckEvery = recheckEvery;
        this.nextCheck = System.nanoTime() + recheckEvery.toNanos();
        this.follower = new TopicFollower<>(bootstrapServers, topic, values, TopicFollower.Start.BEGINNING,
                this::apply, this::recheckWhenDue);
    }

    /** Tenant → in training mode now, for the {@code training_mode_state} gauge. */
    public Map<String, Boolean> states() {
        Instant now = Instant.now();
        Map<String, Boolean> out = new LinkedHashMap<>();
        latest.forEach((tenant, state) -> out.put(tenant, held(state, now)));
        return out;
    }

    public long redisFailures() {
        return redisFailures.get();
    }

    private void apply(ConsumerRecord<String, TrainingModeState> r) {
        if (r.value() != null) {
            latest.put(r.key(), r.value());
            mirror(r.key(), r.value());
        }
    }

    private void recheckWhenDue() {
        if (System.nanoTime() >= nextCheck) {
            nextCheck = System.nanoTime() + recheckEvery.toNanos();
            rewarm();
        }
    }

    /** Puts back any held lock Redis has lost (flush, restart, eviction). */
    private void rewarm() {
        Instant now = Instant.now();
        latest.forEach((tenant, state) -> {
            if (held(state, now)) {
                try {
                    if (!redis.exists(KEY_PREFIX + tenant)) {
                        log.info("re-warming {}{} in Redis", KEY_PREFIX, tenant);
                        mirror(tenant, state);
                    }
                } catch (RuntimeException e) {
                    redisFailures.incrementAndGet();
                }
            }
        });
    }

    private void mirror(String tenant, TrainingModeState state) {
        Instant now = Instant.now();
        try {
            if (held(state, now)) {
                TrainingLock lock = state.getLock();
                long ttlMs = Duration.between(now, lock.getExpiresAt()).toMillis();
                redis.set(KEY_PREFIX + tenant, JSON.writeValueAsString(json(lock)), SetParams.setParams().px(ttlMs));
            } else {
                redis.del(KEY_PREFIX + tenant);
            }
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            if (redisFailures.incrementAndGet() % 100 == 1) {
                log.warn("cannot mirror the training lock of {} to Redis (will retry): {}", tenant, e.getMessage());
            }
        }
    }

    private static boolean held(TrainingModeState state, Instant now) {
        return state.getEnabled() && state.getLock() != null && now.isBefore(state.getLock().getExpiresAt());
    }

    private static Map<String, Object> json(TrainingLock lock) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("enabled", true);
        out.put("locked_by", lock.getLockedBy());
        out.put("locked_at", lock.getLockedAt().toString());
        out.put("reason", lock.getReason());
        out.put("expires_at", lock.getExpiresAt().toString());
        return out;
    }

    @Override
    public void close() {
        follower.close();
    }
}
