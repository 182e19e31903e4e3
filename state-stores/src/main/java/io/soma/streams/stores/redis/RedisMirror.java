package io.soma.streams.stores.redis;

import io.soma.streams.stores.kafka.TopicFollower;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mirrors a compacted topic into Redis {@code <prefix><record key>} for services that read Redis, not Kafka. Reads the
 * topic from the start at every boot, so a restarted Redis is re-warmed, but writes nothing until it has read what the
 * topic held then: a replay passes through every value a key once had (a lock since disabled, whose records are not
 * compacted yet), and Redis must get only the last. After that it writes each record as it comes, and checks every few
 * seconds that Redis holds what it should for every key the topic has or had: a flushed key is written again, and a
 * value or a deleted key that came back (a failover to a replica that missed the change, a restore of an older
 * snapshot) is corrected. A key under the prefix that the topic never named since this instance started (a deleted key
 * whose tombstone compaction has since dropped, back from an older snapshot) is found by a slower scan of the prefix,
 * every {@link #STRAY_SCAN}, and deleted: the prefix is the mirror's own. Every instance mirrors the same keys, so an
 * instance checks only while the brokers answer it and it has read every record the topic held at its previous check
 * (one held by the registry, or cut off from the brokers, may miss a deletion another instance has mirrored, and would
 * put a released lock back), and corrects a key only when it saw the difference at two such checks in a row: a deletion
 * another instance mirrored just before the first is read by the second, and what another instance wrote a moment
 * before this one read the record is not undone. Redis being down only delays the mirror: failed writes are counted and
 * the key is written again at every check until a write succeeds, so a Redis that kept its data through an outage does
 * not keep a value that changed meanwhile.
 */
public final class RedisMirror<V> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisMirror.class);
    private static final int KEYS_PER_READ = 500;
    private static final int KEYS_PER_SCAN_STEP = 10_000;
    /** How long a check waits for the brokers to say where the topic ends; the follower's thread waits meanwhile. */
    private static final Duration END_LIMIT = Duration.ofSeconds(2);
    /**
     * How often a check also scans the prefix for keys the topic does not name: SCAN walks the whole of Redis's
     * keyspace, whatever the match, so not at every check.
     */
    static final Duration STRAY_SCAN = Duration.ofMinutes(5);

    /** What Redis holds for a record now: the string and how long it stays (null: no expiry). */
    public record Mirrored(String value, Duration ttl) {
    }

    /** A record's value as Redis should hold it at {@code now}; empty: the key must not exist. */
    @FunctionalInterface
    public interface Projection<V> {
        Optional<Mirrored> at(V value, Instant now);
    }

    private final String prefix;
    private final Projection<V> projection;
    private final JedisPooled redis;
    private final Duration recheckEvery;
    private final Duration strayScanEvery;
    private long nextStrayScan;
    /** Keys under the prefix the topic does not name, as the last scan found them: deleted if the next finds them. */
    private Set<String> straysAtLastScan = Set.of();
    private final Map<String, V> latest = new ConcurrentHashMap<>();
    /** Keys the topic deleted (tombstones): Redis must not hold them. */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    /** Keys whose value in Redis differed at the last check: corrected if they still differ at the next. */
    private final Set<String> differing = ConcurrentHashMap.newKeySet();
    /**
     * Keys whose last write failed, or read before the follower caught up: written at the next check, whether Redis
     * has them or not.
     */
    private final Set<String> unwritten = ConcurrentHashMap.newKeySet();
    private final AtomicLong redisFailures = new AtomicLong();
    private final AtomicLong checksDeferred = new AtomicLong();
    /** Volatile: the follower's thread calls back before the constructor has assigned it (null then). */
    private volatile TopicFollower<V> follower;
    private long nextCheck;
    /**
     * Where the topic ended at the previous check (on the follower's thread): reached by the next one, the mirror has
     * every record written before that check. Not the end now: on a busy topic a commit lands between any poll and
     * the question, and the checks would never run.
     */
    private Map<TopicPartition, Long> endAtLastCheck;
    private boolean checkedSinceCaughtUp;

    public RedisMirror(String bootstrapServers, String topic, Deserializer<V> values, String prefix,
                       Projection<V> projection, JedisPooled redis, Duration recheckEvery) {
        this(bootstrapServers, topic, values, prefix, projection, redis, recheckEvery, STRAY_SCAN);
    }

    RedisMirror(String bootstrapServers, String topic, Deserializer<V> values, String prefix,
                Projection<V> projection, JedisPooled redis, Duration recheckEvery, Duration strayScanEvery) {
        this.prefix = prefix;
        this.projection = projection;
        this.redis = redis;
        this.recheckEvery = recheckEvery;
        this.strayScanEvery = strayScanEvery;
        this.nextCheck = System.nanoTime() + recheckEvery.toNanos();
        this.nextStrayScan = System.nanoTime();
        this.follower = new TopicFollower<>(bootstrapServers, topic, values, TopicFollower.Start.BEGINNING,
                this::apply, this::recheckWhenDue);
    }

    /** The latest value of every key the topic has, as read so far. */
    public Map<String, V> latest() {
        return Map.copyOf(latest);
    }

    public long redisFailures() {
        return redisFailures.get();
    }

    /** Checks that were due but not made: the brokers did not answer, or this mirror was behind the topic's end. */
    public long checksDeferred() {
        return checksDeferred.get();
    }

    private void apply(ConsumerRecord<String, V> r) {
        if (r.value() == null) {
            latest.remove(r.key());
            deleted.add(r.key());
        } else {
            latest.put(r.key(), r.value());
            deleted.remove(r.key());
        }
        TopicFollower<V> f = follower;
        if (f != null && f.caughtUp()) {
            write(r.key(), r.value());
        } else {
            unwritten.add(r.key());
        }
    }

    /**
     * Checks at once when the follower has just caught up, then every {@code recheckEvery}, each time only while the
     * brokers answer and the follower has reached where the topic ended at the previous check.
     */
    private void recheckWhenDue() {
        TopicFollower<V> f = follower;
        if (f == null || !f.current()) {
            // what was read so far may be a value the topic has since replaced (before catching up, or held at a
            // record the registry cannot resolve while later records delete a key): nothing to write from it now
            return;
        }
        if (checkedSinceCaughtUp && System.nanoTime() < nextCheck) {
            return;
        }
        nextCheck = System.nanoTime() + recheckEvery.toNanos();
        Map<TopicPartition, Long> endNow = f.endOffsets(END_LIMIT);
        // a current follower holds what the topic held when it started: the first check's baseline
        boolean confirmed = endNow != null && (endAtLastCheck == null || f.reached(endAtLastCheck));
        if (endNow != null) {
            endAtLastCheck = endNow;
        }
        if (!confirmed) {
            checksDeferred.incrementAndGet();
            return;
        }
        checkedSinceCaughtUp = true;
        rewarm();
    }

    /** Writes again what failed, then corrects every key whose value in Redis is not the one it should be. */
    private void rewarm() {
        for (String key : Set.copyOf(unwritten)) {
            write(key, latest.get(key));
        }
        Instant now = Instant.now();
        // what Redis should hold for each key; null: nothing
        Map<String, V> should = new HashMap<>(latest);
        deleted.forEach(key -> should.put(key, null));
        List<String> keys = List.copyOf(should.keySet());
        // one round trip per chunk, not per key: the check must stay short beside the records it delays
        for (int from = 0; from < keys.size(); from += KEYS_PER_READ) {
            List<String> chunk = keys.subList(from, Math.min(keys.size(), from + KEYS_PER_READ));
            List<String> held;
            try {
                held = redis.mget(chunk.stream().map(key -> prefix + key).toArray(String[]::new));
            } catch (RuntimeException e) {
                redisFailures.incrementAndGet();
                continue;
            }
            for (int i = 0; i < chunk.size(); i++) {
                correct(chunk.get(i), should.get(chunk.get(i)), held.get(i), now);
            }
        }
        if (System.nanoTime() - nextStrayScan >= 0) {
            nextStrayScan = System.nanoTime() + strayScanEvery.toNanos();
            deleteStrays(should.keySet());
        }
    }

    /**
     * Deletes the keys under the prefix that the topic does not name ({@code named}: every key it has or deleted since
     * this instance started) at this scan and the one before: one another instance wrote a moment before this one
     * read its record is named by the next.
     */
    private void deleteStrays(Set<String> named) {
        Set<String> strays = new HashSet<>();
        // SCAN walks the whole keyspace whatever the match: large steps, few round trips on the follower's thread
        ScanParams params = new ScanParams().match(globEscaped(prefix) + "*").count(KEYS_PER_SCAN_STEP);
        String cursor = ScanParams.SCAN_POINTER_START;
        try {
            do {
                ScanResult<String> page = redis.scan(cursor, params);
                cursor = page.getCursor();
                page.getResult().stream().map(key -> key.substring(prefix.length()))
                        .filter(key -> !named.contains(key)).forEach(strays::add);
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        } catch (RuntimeException e) {
            redisFailures.incrementAndGet();
            return;
        }
        for (String key : strays) {
            if (straysAtLastScan.contains(key)) {
                log.info("deleting {}{} from Redis: the topic does not name it", prefix, key);
                write(key, null);
            }
        }
        straysAtLastScan = strays;
    }

    /** {@code text} as a SCAN pattern that matches it literally. */
    private static String globEscaped(String text) {
        return text.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
    }

    /**
     * Writes {@code value}'s projection again when Redis held anything else for {@code key} ({@code held}; null:
     * nothing) at this check and the one before: a key missing at one check may be a deletion another instance
     * mirrored from a record this one has yet to read.
     */
    private void correct(String key, V value, String held, Instant now) {
        String expected = value == null ? null : projection.at(value, now).map(Mirrored::value).orElse(null);
        if (Objects.equals(held, expected)) {
            differing.remove(key);
        } else if (!differing.add(key)) {
            log.info("{} {}{} in Redis", held == null ? "re-warming" : "correcting", prefix, key);
            write(key, value);
            differing.remove(key);
        }
    }

    private void write(String key, V value) {
        try {
            Instant now = Instant.now();
            Optional<Mirrored> mirrored = value == null ? Optional.empty() : projection.at(value, now);
            if (mirrored.isEmpty()) {
                redis.del(prefix + key);
            } else if (mirrored.get().ttl() == null) {
                redis.set(prefix + key, mirrored.get().value());
            } else {
                // as an instant: a TTL under a millisecond would be PX 0, which Redis refuses
                redis.set(prefix + key, mirrored.get().value(),
                        SetParams.setParams().pxAt(now.plus(mirrored.get().ttl()).toEpochMilli()));
            }
            unwritten.remove(key);
        } catch (RuntimeException e) {
            unwritten.add(key);
            if (redisFailures.incrementAndGet() % 100 == 1) {
                log.warn("cannot mirror {}{} to Redis (will retry): {}", prefix, key, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        follower.close();
    }
}
