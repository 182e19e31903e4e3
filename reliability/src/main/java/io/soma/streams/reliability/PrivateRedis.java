package io.soma.streams.reliability;

import io.soma.streams.devstack.FreePort;
import io.soma.streams.devstack.JavaProcess;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real redis-server of the drill's own (the machine's binary, its own port, nothing kept on disk), so that
 * stopping it disturbs nothing else on the machine. A restart comes back empty, as a lost Redis does.
 */
final class PrivateRedis implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(30);

    private final Path dir;
    private final int port;
    private Process process;

    private PrivateRedis(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "private-redis-stop"));
    }

    static PrivateRedis start(Path dir) {
        PrivateRedis redis = new PrivateRedis(dir, FreePort.onLoopback());
        redis.start();
        return redis;
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    synchronized void start() {
        try {
            Files.createDirectories(dir);
            process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server (is it installed?)", e);
        }
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            // only this process's answer counts: another server on the port (taken meanwhile, so this one could not
            // bind it) answers a PING too
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + " on port " + port
                        + " (taken?); see " + dir.resolve("redis.log"));
            }
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                if (jedis.info("server").contains("process_id:" + process.pid() + "\r\n")) {
                    return;
                }
                Drill.pause(100);
            } catch (RuntimeException notYet) {
                Drill.pause(100);
            }
        }
        throw new IllegalStateException("redis-server did not answer on port " + port + "; see " + dir.resolve("redis.log"));
    }

    /** SIGTERM: redis-server exits at once (it keeps nothing). */
    synchronized void stop() {
        if (process != null && process.isAlive()) {
            JavaProcess.stop(process, false, 10_000);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
