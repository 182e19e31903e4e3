package io.soma.streams.devstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.util.concurrent.TimeUnit;

/**
 * The real schema registry of the local stack: Apicurio Registry 2.4.2 (built by the
 * {@code devstack-registry} module) as a child JVM bound to 127.0.0.1, speaking the Confluent API under
 * {@code /apis/ccompat/v7}. Killed with this JVM.
 */
public final class SchemaRegistryProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryProcess.class);
    static final String JAR_NAME = "soma-schema-registry-runner.jar";
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(90);

    private final Process process;
    private final int port;
    private final Thread killOnExit;

    private SchemaRegistryProcess(Process process, int port) {
        this.process = process;
        this.port = port;
        this.killOnExit = new Thread(process::destroyForcibly, "schema-registry-kill");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts the registry and waits until its Confluent API answers.
     *
     * @param port 0 for a free port
     */
    public static SchemaRegistryProcess start(Path jar, int port, Path logFile) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the schema registry jar " + jar + " is missing; build it with "
                    + "'mvn -pl devstack-registry install' (or './soma demo', which builds what is missing)");
        }
        int httpPort = port == 0 ? EmbeddedKafkaBroker.freePort() : port;
        long started = System.nanoTime();
        Process process;
        try {
            Files.createDirectories(logFile.toAbsolutePath().getParent());
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            process = new ProcessBuilder(List.of(java, "-XX:TieredStopAtLevel=1", "-Xmx384m",
                    "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + httpPort, "-jar", jar.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the schema registry from " + jar, e);
        }
        SchemaRegistryProcess registry = new SchemaRegistryProcess(process, httpPort);
        try {
            registry.awaitReady(logFile);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        log.info("schema registry up on {} in {} ms", registry.url(), (System.nanoTime() - started) / 1_000_000);
        return registry;
    }

    /**
     * The registry jar: system property {@code soma.registry.jar}, env {@code SOMA_REGISTRY_JAR}, else
     * {@code devstack-registry/target/} found upward from the working directory.
     */
    public static Path locateJar() {
        String configured = System.getProperty("soma.registry.jar", System.getenv("SOMA_REGISTRY_JAR"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path relative = Path.of("devstack-registry", "target", JAR_NAME);
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
        }
        return relative.toAbsolutePath();
    }

    /** The Confluent-compatible API base URL. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private void awaitReady(Path logFile) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the schema registry exited with " + process.exitValue()
                        + "; its log " + logFile + " ends with:\n" + tail(logFile));
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
        }
        throw new IllegalStateException("the schema registry did not answer on " + url() + " within "
                + STARTUP_LIMIT.toSeconds() + " s; its log " + logFile + " ends with:\n" + tail(logFile));
    }

    private static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
