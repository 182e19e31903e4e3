package io.soma.streams.devstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

/**
 * The real schema registry of the local stack: Apicurio Registry 2.4.2 (the uber-jar the
 * {@code devstack-registry} module builds) as a child JVM bound to 127.0.0.1, speaking the Confluent API
 * under {@code /apis/ccompat/v7}. Its storage is in memory, so every start is empty. It stops with this JVM: at once,
 * or, once its owner said it closes the registry in a shutdown hook of its own ({@link #ownerClosesAtExit}), after
 * that hook has: the apps the owner is still closing then may need a schema. A terminal's Ctrl-C, which signals the
 * whole process group, is the owner's to act on: the registry ignores SIGINT.
 */
public final class SchemaRegistryProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryProcess.class);
    static final Path DEFAULT_JAR = Path.of("devstack-registry", "target", "soma-schema-registry-runner.jar");
    private static final String JAR_PROPERTY = "soma.registry.jar";
    private static final String JAR_ENV = "SOMA_REGISTRY_JAR";
    private static final String CONFLUENT_API = "/apis/ccompat/v7";
    /** Ready in 3–7 s on two idle cores; a busy build machine can take many times that. */
    private static final Duration STARTUP_LIMIT = Duration.ofSeconds(120);
    private static final Duration STOP_LIMIT = Duration.ofSeconds(10);
    /**
     * How long this JVM's exit waits for an owner that closes the registry at exit: JVM shutdown hooks run side by
     * side, and a process closing its Streams apps in its own hook (each up to 30 s) flushes windows whose records
     * need a schema registered. Only a bound: the JVM waits for the owner's hook anyway.
     */
    private static final Duration OWNER_CLOSE_LIMIT = Duration.ofMinutes(5);
    /** Runs the registry with SIGINT ignored (kept by exec, and by the JVM, which leaves an ignored signal ignored). */
    private static final List<String> IGNORING_SIGINT = List.of("/bin/sh", "-c", "trap '' INT; exec \"$@\"", "sh");
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
    /** What the registry (Quarkus) logs once its HTTP port is bound, followed by the port. */
    private static final String LISTENING = "Listening on: http://127.0.0.1:";
    private static final int LOG_TAIL_LINES = 30;
    /** Starts on a port of its own choosing, each on a new one, before giving up. */
    private static final int FREE_PORT_ATTEMPTS = 3;

    /**
     * Beside the log: the pids of the registry started there and of its owner (this JVM), while it runs (see
     * {@link #stopOneLeftRunning}).
     */
    private static final String PID_FILE = "schema-registry.pid";

    private final Process process;
    private final int port;
    private final Path pidFile;
    /** What the pid file holds while this registry runs: its pid, its owner's, and when it started (epoch ms). */
    private final String pidRecord;
    private final Thread killOnExit;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean ownerClosesAtExit;

    private SchemaRegistryProcess(Process process, int port, Path pidFile) {
        this.process = process;
        this.port = port;
        this.pidFile = pidFile;
        this.pidRecord = process.pid() + " " + ProcessHandle.current().pid() + " "
                + process.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
        this.killOnExit = new Thread(this::killOnceOwnerHadItsTurn, "schema-registry-kill");
        try {
            Runtime.getRuntime().addShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // started as the JVM exits (a stop during the start): no hook would stop it, and it would outlive us
            process.destroyForcibly();
            throw shuttingDown;
        }
    }

    /**
     * Starts the registry jar and waits until its Confluent API answers.
     *
     * @param port    HTTP port on 127.0.0.1, 0 for a free one
     * @param logFile the child's stdout and stderr (replaced at every start); its directory is the child's
     *                working directory
     * @throws IllegalStateException if the jar is missing, or the registry dies (when it chose the port: three times,
     *                               each on another) or does not answer in time
     */
    public static SchemaRegistryProcess start(Path jar, int port, Path logFile) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the schema registry jar " + jar.toAbsolutePath()
                    + " is missing; build it with 'mvn -pl devstack-registry install'");
        }
        return port == 0 ? start(jar, FreePort::onLoopback, FREE_PORT_ATTEMPTS, logFile) : start(jar, () -> port, 1, logFile);
    }

    /** Starts on the ports {@code ports} gives, a new one each time the child exits before it answers. */
    static SchemaRegistryProcess start(Path jar, IntSupplier ports, int attempts, Path logFile) {
        long started = System.nanoTime();
        Path pidFile = logFile.toAbsolutePath().resolveSibling(PID_FILE);
        stopOneLeftRunning(pidFile, jar);
        // the child binds its port seconds after it was found free, a JVM still starting: when another process took
        // it first, the child exits
        return FreePort.retryingTakenPorts("the schema registry", attempts, () -> {
            int httpPort = ports.getAsInt();
            SchemaRegistryProcess registry = new SchemaRegistryProcess(launch(jar, httpPort, logFile), httpPort,
                    pidFile);
            try {
                writeString(pidFile, registry.pidRecord);
                registry.awaitReady(logFile);
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
            log.info("schema registry up on {} in {} ms (pid {}, log {})",
                    registry.url(), (System.nanoTime() - started) / 1_000_000, registry.pid(), logFile);
            return registry;
        }, e -> e instanceof ExitedBeforeReady);
    }

    /**
     * Stops the registry that an earlier owner started here and could not stop: killed (SIGKILL, the OOM killer), it
     * ran no shutdown hook, and its registry went on holding its port (the demo's fixed 8081, so the next demo could
     * not start) and half a gigabyte. Only a live process running this jar whose owner is gone (it was handed to
     * another parent): a pid the system gave to another process since, or the registry of a demo still running in
     * the same place, is left alone.
     */
    private static void stopOneLeftRunning(Path pidFile, Path jar) {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        String jarPath = jar.toAbsolutePath().toString();
        try {
            String[] recorded = Files.readString(pidFile).trim().split(" ");
            if (recorded.length != 3) {
                return;
            }
            long owner = Long.parseLong(recorded[1]);
            long startedAt = Long.parseLong(recorded[2]);
            ProcessHandle.of(Long.parseLong(recorded[0]))
                    // the very process recorded, not one that was given its pid since
                    .filter(p -> p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L) == startedAt)
                    .filter(p -> p.info().commandLine().map(line -> line.contains(jarPath)).orElse(false))
                    .filter(p -> p.parent().map(ProcessHandle::pid).orElse(-1L) != owner)
                    .ifPresent(left -> {
                        log.warn("stopping the schema registry (pid {}) that an earlier process left running",
                                left.pid());
                        left.destroy();
                        if (!left.onExit().completeOnTimeout(null, STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)
                                .thenApply(exited -> exited != null).join()) {
                            left.destroyForcibly();
                        }
                    });
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot read {}: {}", pidFile, e.toString());
        }
    }

    private static void writeString(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * The registry jar: system property {@code soma.registry.jar}, else env {@code SOMA_REGISTRY_JAR}, else
     * {@code devstack-registry/target/soma-schema-registry-runner.jar} in the working directory or the nearest
     * parent that has it. When none has it, the path under the working directory, which {@link #start} then
     * reports as missing.
     */
    public static Path locateJar() {
        String configured = System.getProperty(JAR_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(JAR_ENV);
        }
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path workingDir = Path.of("").toAbsolutePath();
        for (Path dir = workingDir; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(DEFAULT_JAR))) {
                return dir.resolve(DEFAULT_JAR);
            }
        }
        return workingDir.resolve(DEFAULT_JAR);
    }

    /** The Confluent-compatible API base URL, e.g. {@code http://127.0.0.1:8081/apis/ccompat/v7}. */
    public String url() {
        return "http://127.0.0.1:" + port + CONFLUENT_API;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            closed.countDown();
        }
    }

    /**
     * Says that the owner closes this registry in a shutdown hook of its own: at exit, the registry is then killed
     * only once that hook has closed it. Without it (an owner still starting, a tool that closes nothing at exit),
     * it is killed at once.
     */
    public void ownerClosesAtExit() {
        ownerClosesAtExit = true;
    }

    private void killOnceOwnerHadItsTurn() {
        try {
            if (ownerClosesAtExit && !closed.await(OWNER_CLOSE_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("schema registry (pid {}) not closed by its owner within {} s of exit: killed",
                        process.pid(), OWNER_CLOSE_LIMIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            // only this registry's: a second start in the same place wrote its own over it
            if (Files.isRegularFile(pidFile) && Files.readString(pidFile).trim().equals(pidRecord)) {
                Files.delete(pidFile);
            }
        } catch (IOException e) {
            // the next start reads a pid no live registry of this jar has
            log.warn("cannot delete {}: {}", pidFile, e.toString());
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and runs the hook anyway
        }
    }

    private static Process launch(Path jar, int httpPort, Path logFile) {
        Path workDir = logFile.toAbsolutePath().getParent();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of(IGNORING_SIGINT.get(0)))) {
            command.addAll(IGNORING_SIGINT);
        }
        command.addAll(List.of(java, "-XX:TieredStopAtLevel=1", "-Xmx512m",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + httpPort,
                // Sentry's servlet listener inside the app reads SENTRY_DSN from the environment; never report out
                "-Dsentry.dsn=noop://localhost",
                "-jar", jar.toAbsolutePath().toString()));
        try {
            Files.createDirectories(workDir);
            return new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the schema registry from " + jar, e);
        }
    }

    private void awaitReady(Path logFile) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url() + "/subjects"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + STARTUP_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new ExitedBeforeReady("the schema registry exited with code " + process.exitValue()
                        + " before answering; " + describeLog(logFile));
            }
            // the answer must be our child's: another process (the other test JVM's registry) may have been given the
            // same port, and answers there while our child, about to find it taken, still boots
            if (answers(http, probe) && listening(logFile)) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("the schema registry did not answer GET " + probe.uri() + " with 200, nor log "
                + "'" + LISTENING + port + "', within " + STARTUP_LIMIT.toSeconds() + " s; " + describeLog(logFile));
    }

    /** Whether the child's log says it listens on {@link #port} (Quarkus logs it once bound). */
    private boolean listening(Path logFile) {
        try {
            String log = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
            return Pattern.compile(Pattern.quote(LISTENING + port) + "(?!\\d)").matcher(log).find();
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean answers(HttpClient http, HttpRequest probe) {
        try {
            return http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException notListeningYet) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the schema registry", e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(PROBE_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the schema registry", e);
        }
    }

    private static String describeLog(Path logFile) {
        try {
            // lenient decoding: a half-written last line must not hide the rest
            List<String> lines = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).lines().toList();
            return "its log " + logFile + " ends with:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "its log " + logFile + " is unreadable: " + e.getMessage();
        }
    }

    /** The child exited before its API answered (a port taken, a bad jar, too little memory). */
    private static final class ExitedBeforeReady extends IllegalStateException {
        ExitedBeforeReady(String message) {
            super(message);
        }
    }
}
