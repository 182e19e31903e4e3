package io.soma.streams.stores.redis;

import io.soma.streams.testkit.LocalServices;
import io.soma.streams.testkit.TcpProxy;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisException;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process's Redis pool against the machine's real Redis, through a path that stops passing bytes while keeping
 * its connections open, as a Redis that stopped answering does to its clients (to this test's pool only).
 */
class RedisConnectionIT {
    private static final int CALLS = 64;

    /**
     * With the pool's default (8 connections, waiting for ever) 64 calls took 16 s: each held its connection for the
     * 2 s socket timeout while the others queued, and at an edge every server thread ended up queued.
     */
    @Test
    void shouldEndEveryCallWithinTheSocketTimeoutAndThePoolWaitWhileRedisStopsAnswering() throws Exception {
        URI redisUrl = URI.create(LocalServices.redisUrl());
        ExecutorService callers = Executors.newFixedThreadPool(CALLS);
        try (TcpProxy proxy = new TcpProxy(redisUrl.getHost(), redisUrl.getPort());
             RedisConnection redis = new RedisConnection("redis://127.0.0.1:" + proxy.port())) {
            assertThat(redis.problem()).isNull();
            proxy.stall();
            List<Future<Boolean>> calls = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                calls.add(callers.submit(() -> {
                    try {
                        redis.jedis().get("redis-connection-it");
                        return false;
                    } catch (JedisException expected) {
                        // timed out, or no connection free within the wait: what the edge answers 503 for
                        return causedByAPoolWait(expected);
                    }
                }));
            }
            int gaveUpWaitingForThePool = 0;
            for (Future<Boolean> call : calls) {
                gaveUpWaitingForThePool += call.get(2, TimeUnit.MINUTES) ? 1 : 0;
            }
            // each call ends (a socket timeout, 2 s), and those beyond the pool's connections give up waiting for one
            // (1 s) rather than queue behind them: with the defaults none did, and 64 calls took 16 s. Not a time
            // bound: a loaded machine stretches every one of them
            assertThat(gaveUpWaitingForThePool).isPositive();
        } finally {
            callers.shutdownNow();
        }
    }

    /** commons-pool's answer to a borrow that waited its whole wait: no connection came free. */
    private static boolean causedByAPoolWait(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof NoSuchElementException) {
                return true;
            }
        }
        return false;
    }
}
