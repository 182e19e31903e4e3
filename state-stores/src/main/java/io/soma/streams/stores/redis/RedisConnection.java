package io.soma.streams.stores.redis;

import io.soma.streams.schemas.RedactedUrl;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.JedisPooled;

import java.time.Duration;

/**
 * The one Redis connection pool of a process. Redis is a cache and a mirror here: every caller must
 * survive it being down, and the apps re-warm it.
 */
public final class RedisConnection implements AutoCloseable {
    /**
     * Connections the process may hold: its mirrors and every request thread's token checks and rate limit share
     * them (the pool's default is 8).
     */
    static final int MAX_CONNECTIONS = 32;
    /**
     * How long a call waits for a free connection before it fails (a 503 at the edge). The pool's default waits for
     * ever: with Redis accepting connections but not answering, each call holds its connection for the socket
     * timeout (2 s), the waits grew with the load, and every server thread ended up waiting.
     */
    static final Duration MAX_WAIT = Duration.ofSeconds(1);
    private final JedisPooled jedis;
    private final String url;

    public RedisConnection(String url) {
        this.url = url;
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(MAX_CONNECTIONS);
        pool.setMaxIdle(MAX_CONNECTIONS);
        pool.setMaxWait(MAX_WAIT);
        this.jedis = new JedisPooled(pool, RedactedUrl.parse("redis.url", url));
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
