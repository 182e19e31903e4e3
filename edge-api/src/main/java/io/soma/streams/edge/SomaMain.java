package io.soma.streams.edge;

import io.soma.streams.edge.auth.IdentitySettings;
import io.soma.streams.edge.auth.WrapSecretFile;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.query.PeerCredentials;
import io.soma.streams.edge.replay.ReplayDrill;
import io.soma.streams.edge.slice.StopSignal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process entry point.
 * <ul>
 *   <li>{@code demo}: the embedded stack (in-process broker, registry child process), every app, the edge and
 *   the replayer of the real datasets; the key wrap secret, unless given, is {@link WrapSecretFile} in the data
 *   dir;</li>
 *   <li>{@code run}: the same apps and edge against the configured external Kafka, registry, Redis and
 *   PostgreSQL; it refuses to start without {@code identity.keys.wrap.secret} and {@code edge.peer.secret}.</li>
 * </ul>
 * Options: {@code --config FILE} (or env {@code SOMA_CONFIG}).
 */
public final class SomaMain {
    private static final Logger log = LoggerFactory.getLogger(SomaMain.class);
    /**
     * How long a stop waits for a start in progress to reach its next step (a step may wait for the broker or the
     * registry). Once there, the start closes what it had started, each close bounded (six apps, up to 30 s each),
     * and the stop waits for that: the chart's grace period, 240 s, covers both.
     */
    private static final Duration START_NOTICE_LIMIT = Duration.ofSeconds(30);

    private SomaMain() {
    }

    /**
     * The configuration of {@code command} ({@code demo} or {@code run}), checked before anything starts: a setting
     * that would stop the process half-way (the key wrap secret) fails here.
     */
    static SomaConfig configure(String command, Path configFile, Map<String, String> systemEnvironment) {
        Map<String, String> environment = new HashMap<>(systemEnvironment);
        // under the file and the environment: a demo run with a file of its own keeps what the file says
        Map<String, String> commandDefaults = switch (command) {
            // one instance behind no load balancer: a stop need not wait for one
            case "demo" -> Map.of("constitution.trusted.keys", "example", "marketplace.trusted.keys", "example",
                    "policy.load.examples", "true", "edge.shutdown.drain", "PT0S");
            case "run" -> Map.of("stack.embedded", "false", "replay.enabled", "false");
            default -> Map.of();
        };
        Settings settings = Settings.load(commandDefaults, configFile, environment);
        if (command.equals("demo") && settings.stringOrNull("identity.keys.wrap.secret") == null) {
            environment.put(Settings.envName("identity.keys.wrap.secret"),
                    WrapSecretFile.loadOrCreate(Path.of(settings.string("stack.data.dir"))));
            settings = Settings.load(commandDefaults, configFile, environment);
        }
        IdentitySettings.from(settings);
        SomaConfig config = SomaConfig.from(settings);
        PeerCredentials.from(config);
        return config;
    }

    /** The appenders logback.xml names; {@code SOMA_LOG_FORMAT} picks one by its exact name. */
    static final Set<String> LOG_FORMATS = Set.of("JSON", "TEXT");

    /** Why {@code SOMA_LOG_FORMAT} would silence every log line, or null when it names an appender (or is unset). */
    static String logFormatProblem(String format) {
        return format == null || LOG_FORMATS.contains(format) ? null
                : "SOMA_LOG_FORMAT must be JSON or TEXT (the case counts), got '" + format + "': no log would be written";
    }

    public static void main(String[] args) throws InterruptedException {
        String logFormat = logFormatProblem(System.getenv("SOMA_LOG_FORMAT"));
        if (logFormat != null) {
            System.err.println("configuration error: " + logFormat);
            System.exit(2);
        }
        if (args.length > 0 && args[0].equals("replay-drill")) {
            System.exit(ReplayDrill.command(Arrays.copyOfRange(args, 1, args.length),
                    (command, file) -> configure(command, file, System.getenv())));
        }
        if (args.length == 0 || !(args[0].equals("demo") || args[0].equals("run"))) {
            System.err.println("usage: soma-streams.jar demo|run [--config FILE], or replay-drill demo|run [--config FILE]");
            System.exit(2);
        }
        String configFile = System.getenv("SOMA_CONFIG");
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = args[++i];
            } else {
                System.err.println("unknown option " + args[i]);
                System.exit(2);
            }
        }
        SomaConfig config;
        try {
            config = configure(args[0], configFile == null ? null : Path.of(configFile), System.getenv());
        } catch (Settings.ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        log.info("starting with {}", config);
        StopSignal stop = StopSignal.raisedAtExit();
        CountDownLatch startEnded = new CountDownLatch(1);
        AtomicReference<SomaProcess> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping");
            // a start still going closes what it started at its next step, and ends
            stop.request();
            awaitStartEnd(startEnded, stop);
            SomaProcess process = running.get();
            if (process != null) {
                process.stop();
            }
            stopped.countDown();
        }, "soma-shutdown"));
        int failed = 0;
        try {
            running.set(SomaProcess.start(config, SomaProcess.COMPOSITION, stop));
        } catch (StopSignal.StoppedWhileStarting e) {
            log.info("{}: what had started is closed", e.getMessage());
        } catch (Settings.ConfigException e) {
            // found once connected (signing keys sealed with another wrap secret): as actionable as the others
            System.err.println("configuration error: " + e.getMessage());
            failed = 2;
        } catch (RuntimeException | Error e) {
            if (stop.requested()) {
                // the JVM is exiting: a step that could not finish because of it (a shutdown hook refused) is no fault
                Throwable cause = e;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                log.info("the start ended after a stop was asked for: {}", cause.toString());
            } else {
                // an Error too: the apps started so far are closed, and their non-daemon threads must not keep a
                // process without an edge alive
                log.error("start failed: {}", e.getMessage(), e);
                failed = 1;
            }
        } finally {
            startEnded.countDown();
        }
        if (failed != 0) {
            System.exit(failed);
        }
        stopped.await();
    }

    private static void awaitStartEnd(CountDownLatch startEnded, StopSignal stop) {
        long giveUpAt = System.nanoTime() + START_NOTICE_LIMIT.toNanos();
        try {
            while (!startEnded.await(1, TimeUnit.SECONDS)) {
                if (!stop.noticed() && System.nanoTime() - giveUpAt > 0) {
                    log.warn("the start did not reach its next step within {} s of the stop: exiting without "
                            + "closing it", START_NOTICE_LIMIT.toSeconds());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
