package io.soma.streams.reliability;

import io.soma.streams.devstack.FreePort;
import io.soma.streams.devstack.JavaProcess;
import io.soma.streams.edge.SomaMain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One Soma Streams instance as a separate JVM ({@code SomaMain run --config <file>}): every app and the edge, with
 * its own state dir, a fixed edge port and a fixed peer port (its {@code application.server}), so a restart comes
 * back as the same member. Killed when this JVM exits.
 */
final class AppInstance implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int index;
    private final Path dir;
    private final int edgePort;
    private final List<String> jvmArgs;
    private volatile Process process;
    private int starts;

    AppInstance(int index, Path dir, int edgePort, Map<String, String> settings, List<String> jvmArgs) {
        this.index = index;
        this.dir = dir;
        this.edgePort = edgePort;
        this.jvmArgs = jvmArgs;
        Properties config = new Properties();
        config.putAll(settings);
        config.put("stack.embedded", "false");
        config.put("replay.enabled", "false");
        config.put("stack.data.dir", dir.toString());
        config.put("edge.host", "127.0.0.1");
        config.put("edge.port", Integer.toString(edgePort));
        int peerPort = FreePort.onLoopback();
        config.put("edge.peer.port", Integer.toString(peerPort));
        config.put("edge.advertised.address", "127.0.0.1:" + peerPort);
        try {
            Files.createDirectories(dir);
            try (var out = Files.newOutputStream(configFile())) {
                config.store(out, "instance " + index + " of the failure drill");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the config of instance " + index, e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
        }, "instance-" + index + "-kill"));
    }

    int index() {
        return index;
    }

    String url() {
        return "http://127.0.0.1:" + edgePort;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("instance " + index + " is running");
        }
        starts++;
        process = JavaProcess.start(SomaMain.class, jvmArgs, List.of("run", "--config", configFile().toString()),
                dir.resolve("instance.log"));
    }

    /** {@code kill -9}: no shutdown hook, no commit, no leave-group. */
    synchronized void kill() {
        JavaProcess.stop(process, true, 30_000);
    }

    /** Waits for {@code /health/ready} to answer 200; fails early if the process died. */
    void awaitReady(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            Process p = process;
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException("instance " + index + " is not running (exit "
                        + (p == null ? "-" : p.exitValue()) + "); see " + dir.resolve("instance.log"));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/health/ready"))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            Drill.pause(250);
        }
        throw new IllegalStateException("instance " + index + " not ready after " + limit + " (last: " + last
                + "); see " + dir.resolve("instance.log"));
    }

    /**
     * Ends the process with kill -9, as the drill is over when this is called: a clean close of its six apps took
     * tens of seconds on a loaded machine and would prove nothing more.
     */
    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            kill();
        }
    }

    private Path configFile() {
        return dir.resolve("soma.properties");
    }
}
