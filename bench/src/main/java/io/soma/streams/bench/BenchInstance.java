package io.soma.streams.bench;

import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One instance of an app, or of the transactional copy, in a JVM of its own; {@link InstanceGroup} starts N of them
 * with the same application ids. For each id in turn it joins that group but processes nothing until a line arrives
 * on stdin ("go"), so that N instances start work together in a settled group; the next line ("next") makes it leave
 * the group and go on with the next id, in the same JVM, whose code the earlier passes have compiled. The last id
 * runs until SIGTERM, then leaves the group cleanly.
 * <pre>
 *   BenchInstance app  &lt;policy|training|forecast|slm|budget|marketplace&gt; &lt;application.id,...&gt; &lt;bootstrap&gt; &lt;registry url&gt; &lt;state dir&gt;
 *   BenchInstance copy &lt;group.id,...&gt; &lt;bootstrap&gt; &lt;source topics, comma-separated&gt; &lt;target topic&gt;
 * </pre>
 */
public final class BenchInstance {
    /** The launcher's lines, read by one thread; a closed stdin counts as a line. */
    private static final BlockingQueue<String> LINES = new LinkedBlockingQueue<>();

    private BenchInstance() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 6 && args[0].equals("app")) {
            readLines();
            runApp(BenchApp.parse(args[1]), List.of(args[2].split(",")), args[3], args[4], Path.of(args[5]));
        } else if (args.length == 5 && args[0].equals("copy")) {
            readLines();
            runCopy(List.of(args[1].split(",")), args[2], args[3], args[4]);
        } else {
            System.err.println("usage: BenchInstance app <app> <application.id> <bootstrap> <registry url> <state dir>"
                    + " | copy <group.id> <bootstrap> <source,...> <target>");
            System.exit(2);
        }
    }

    /**
     * Settings as the process runs its apps on the local stack: exactly-once v2, the app's own commit interval, one
     * thread. Each id has a state dir of its own.
     */
    private static void runApp(BenchApp app, List<String> applicationIds, String bootstrap, String registryUrl,
                               Path stateRoot) throws InterruptedException {
        AtomicReference<KafkaStreams> current = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            KafkaStreams streams = current.get();
            if (streams != null) {
                leave(streams);
            }
            stopped.countDown();
        }, "bench-instance-stop"));
        for (int i = 0; i < applicationIds.size(); i++) {
            KafkaStreams streams = streams(app, applicationIds.get(i), bootstrap, registryUrl, stateRoot);
            current.set(streams);
            streams.pause();
            streams.start();
            awaitLine();
            streams.resume();
            if (i < applicationIds.size() - 1) {
                awaitLine();
                leave(streams);
            }
        }
        stopped.await();
    }

    private static KafkaStreams streams(BenchApp app, String applicationId, String bootstrap, String registryUrl,
                                       Path stateRoot) {
        // instances of one app on one machine need state dirs of their own
        Properties props = StreamsSettings.local(bootstrap, registryUrl,
                stateRoot.resolve(applicationId).resolve(Long.toString(ProcessHandle.current().pid())))
                .forApp(applicationId);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, app.commitIntervalMs());
        app.producerBatchBytes().ifPresent(bytes -> props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG),
                bytes));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith(BenchApp.STREAMS_OVERRIDE_PREFIX))
                .forEach(n -> props.put(n.substring(BenchApp.STREAMS_OVERRIDE_PREFIX.length()), System.getProperty(n)));
        KafkaStreams streams = new KafkaStreams(app.topology(new AppSerdes(new SchemaRegistryClient(registryUrl))),
                props);
        streams.setUncaughtExceptionHandler(e -> {
            e.printStackTrace();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        return streams;
    }

    private static void leave(KafkaStreams streams) {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }

    /** One daemon thread turns the launcher's lines into {@link #LINES}; at the end of stdin it says so for ever. */
    private static void readLines() {
        Thread reader = new Thread(() -> {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    LINES.add(line);
                }
            } catch (IOException e) {
                e.printStackTrace();
            }
            for (int i = 0; i < 16; i++) {
                LINES.add("");
            }
        }, "bench-instance-lines");
        reader.setDaemon(true);
        reader.start();
    }

    /** Blocks until the launcher writes a line (or closes stdin). */
    private static void awaitLine() throws InterruptedException {
        LINES.take();
    }

    private static void runCopy(List<String> groupIds, String bootstrap, String sources, String target)
            throws InterruptedException {
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
            for (int i = 0; i < groupIds.size() && !stopping.get(); i++) {
                boolean last = i == groupIds.size() - 1;
                AtomicBoolean go = new AtomicBoolean();
                AtomicBoolean next = new AtomicBoolean();
                Thread gate = new Thread(() -> {
                    try {
                        awaitLine();
                        go.set(true);
                        if (!last) {
                            awaitLine();
                            next.set(true);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "bench-instance-go");
                gate.setDaemon(true);
                gate.start();
                TransactionalCopy.run(bootstrap, groupIds.get(i), List.of(sources.split(",")), target, go::get,
                        copied -> stopping.get() || next.get(), Duration.ofDays(1));
                while (gate.isAlive() && !stopping.get()) { // on SIGTERM no more lines may come
                    gate.join(100);
                }
            }
        } finally {
            stopped.countDown();
        }
    }
}
