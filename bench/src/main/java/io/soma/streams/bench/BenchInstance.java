package io.soma.streams.bench;

import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One instance of an app, or of the transactional copy, in a JVM of its own; {@link InstanceGroup} starts N of them
 * with one application id. It joins the group at once but processes nothing until a line arrives on stdin, so that
 * N instances start work together in a settled group. Runs until SIGTERM, then leaves the group cleanly.
 * <pre>
 *   BenchInstance app  &lt;policy|training|forecast|slm|budget|marketplace&gt; &lt;application.id&gt; &lt;bootstrap&gt; &lt;registry url&gt; &lt;state dir&gt;
 *   BenchInstance copy &lt;group.id&gt; &lt;bootstrap&gt; &lt;source topics, comma-separated&gt; &lt;target topic&gt;
 * </pre>
 */
public final class BenchInstance {

    private BenchInstance() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 6 && args[0].equals("app")) {
            runApp(BenchApp.parse(args[1]), args[2], args[3], args[4], Path.of(args[5]));
        } else if (args.length == 5 && args[0].equals("copy")) {
            runCopy(args[1], args[2], args[3], args[4]);
        } else {
            System.err.println("usage: BenchInstance app <app> <application.id> <bootstrap> <registry url> <state dir>"
                    + " | copy <group.id> <bootstrap> <source,...> <target>");
            System.exit(2);
        }
    }

    /**
     * Settings as the process runs its apps on the local stack: exactly-once v2, the app's own commit interval, one
     * thread.
     */
    private static void runApp(BenchApp app, String applicationId, String bootstrap, String registryUrl, Path stateDir)
            throws InterruptedException {
        // instances of one app on one machine need state dirs of their own
        Properties props = StreamsSettings.local(bootstrap, registryUrl,
                stateDir.resolve(Long.toString(ProcessHandle.current().pid()))).forApp(applicationId);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, app.commitIntervalMs());
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith(BenchApp.STREAMS_OVERRIDE_PREFIX))
                .forEach(n -> props.put(n.substring(BenchApp.STREAMS_OVERRIDE_PREFIX.length()), System.getProperty(n)));
        KafkaStreams streams = new KafkaStreams(app.topology(new AppSerdes(new SchemaRegistryClient(registryUrl))),
                props);
        streams.setUncaughtExceptionHandler(e -> {
            e.printStackTrace();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(30)));
            stopped.countDown();
        }, "bench-instance-stop"));
        streams.pause();
        streams.start();
        awaitGo();
        streams.resume();
        stopped.await();
    }

    /** Blocks until the launcher writes a line (or closes stdin). */
    private static void awaitGo() {
        try {
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void runCopy(String groupId, String bootstrap, String sources, String target) throws InterruptedException {
        AtomicBoolean go = new AtomicBoolean();
        Thread gate = new Thread(() -> {
            awaitGo();
            go.set(true);
        }, "bench-instance-go");
        gate.setDaemon(true);
        gate.start();
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-instance-stop"));
        try {
            TransactionalCopy.run(bootstrap, groupId, List.of(sources.split(",")), target, go::get,
                    copied -> stopping.get(), Duration.ofDays(1));
        } finally {
            stopped.countDown();
        }
    }
}
