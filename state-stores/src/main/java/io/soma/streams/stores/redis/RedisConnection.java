package io.soma.streams.stores.redis;

import io.soma.streams.schemas.RedactedUrl;
import redis.clients.jedis.JedisPooled;

/**
 * The one Redis connection pool of a process. Redis is a cache and a mirror here: every caller must
 * survive it being down, and the apps re-warm it.
 */
public final class RedisConnection implements AutoCloseable {
    private final JedisPooled jedis;
    private final String url;

    public RedisConnection(String url) {
        this.url = url;
        this.jedis = new JedisPooled(RedactedUrl.parse("redis.url", url));
    }

    public JedisPooled jedis() {
        return jedis;
    }

    /** @return null when Redis answers PING, else why not */
    public String problem() {
        try {
            String pong = jedis.ping();
            return "PONG".equals(pong) ? null : "unexpected PING answer " + pong;
        } catch (RuntimeException e) {
            return "Redis at " + RedactedUrl.of(url) + " does not answer: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        jedis.close();
    }
}
