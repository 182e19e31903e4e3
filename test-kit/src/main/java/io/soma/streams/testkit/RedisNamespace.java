package io.soma.streams.testkit;

import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.net.URI;
import java.util.UUID;

/**
 * A Redis key prefix of a test class's own on the machine's Redis, so that tests never touch the keys a
 * running demo uses ({@code training:lock:*}, signing keys, rate limits) and never see each other's. Closing
 * it deletes every key under the prefix.
 */
public final class RedisNamespace implements AutoCloseable {
    private final String prefix;
    private final JedisPooled redis;

    private RedisNamespace(String prefix) {
        this.prefix = prefix;
        this.redis = new JedisPooled(URI.create(LocalServices.redisUrl()));
    }

    public static RedisNamespace create(String purpose) {
        return new RedisNamespace("test:" + purpose + ":" + UUID.randomUUID() + ":");
    }

    /** The prefix to put before every key, ending in {@code :}. */
    public String prefix() {
        return prefix;
    }

    /** A client of the machine's Redis, for assertions on the namespace's keys. */
    public JedisPooled redis() {
        return redis;
    }

    public String url() {
        return LocalServices.redisUrl();
    }

    /** Deletes every key under the prefix. */
    public void clear() {
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = redis.scan(cursor, new ScanParams().match(prefix + "*").count(500));
            if (!page.getResult().isEmpty()) {
                redis.del(page.getResult().toArray(String[]::new));
            }
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }

    @Override
    public void close() {
        try {
            clear();
        } finally {
            redis.close();
        }
    }
}
