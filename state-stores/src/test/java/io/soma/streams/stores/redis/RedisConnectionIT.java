package io.soma.streams.stores.redis;

import io.soma.streams.testkit.LocalServices;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The process's Redis pool against the machine's real Redis, made to stop answering with {@code CLIENT PAUSE}. */
class RedisConnectionIT {
    private static final int CALLS = 64;
    private static final Duration PAUSE = Duration.ofSeconds(6);

    /**
     * With the pool's default (8 connections, waiting for ever) 64 calls took up to 16 s: each held its connection
     * for the 2 s socket timeout while the others queued, and at an edge every server thread ended up queued.
     */
    @Test
    void shouldEndEveryCallWithinTheSocketTimeoutAndThePoolWaitWhileRedisStopsAnswering() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(CALLS);
        try (RedisConnection redis = new RedisConnection(LocalServices.redisUrl());
             JedisPooled admin = new JedisPooled(URI.create(LocalServices.redisUrl()))) {
            assertThat(redis.problem()).isNull();
            admin.sendCommand(Protocol.Command.CLIENT, "PAUSE",
                    String.valueOf(PAUSE.toMillis()), "ALL");
            List<Future<Long>> calls = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                calls.add(callers.submit(() -> {
                    long start = System.nanoTime();
                    try {
                        redis.jedis().get("redis-connection-it");
                    } catch (JedisException expected) {
                        // timed out, or no connection free within the wait: what the edge answers 503 for
                    }
                    return System.nanoTime() - start;
                }));
            }
            long slowest = 0;
            for (Future<Long> call : calls) {
                slowest = Math.max(slowest, call.get(PAUSE.toSeconds() * 4, TimeUnit.SECONDS));
            }
            // a socket timeout (2 s) or a pool wait (1 s), with room for a loaded machine; 16 s before
            assertThat(Duration.ofNanos(slowest)).isLessThan(PAUSE.minusMillis(500));
        } finally {
            callers.shutdownNow();
            // the pause ends on its own; wait it out, so that no later test meets a Redis that does not answer
            awaitAnswers();
        }
    }

    private static void awaitAnswers() throws InterruptedException {
        try (JedisPooled probe = new JedisPooled(URI.create(LocalServices.redisUrl()), 15_000)) {
            probe.ping();
        } catch (JedisException e) {
            Thread.sleep(PAUSE.toMillis());
        }
    }
}
