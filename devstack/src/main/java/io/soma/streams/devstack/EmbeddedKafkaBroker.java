package io.soma.streams.devstack;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A real single-node Kafka 4.3.1 broker (combined broker + KRaft controller) running inside this JVM,
 * built from the production jars. Its log directory is kept between runs, so a restart finds its data.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final int port;

    private EmbeddedKafkaBroker(KafkaRaftServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * Formats {@code logDir} if needed and starts the broker.
     *
     * @param port the client port on 127.0.0.1, 0 for a free one
     * @param overrides broker settings that win over the single-node defaults
     */
    public static EmbeddedKafkaBroker start(Path logDir, int port, Map<String, String> overrides) {
        return start(logDir, () -> new Ports(port == 0 ? FreePort.onLoopback() : port, FreePort.onLoopback()), port,
                overrides);
    }

    /** The client and controller ports of one attempt to start. */
    record Ports(int client, int controller) {
    }

    /**
     * As {@link #start(Path, int, Map)}, with the ports of each attempt from {@code ports}, again on the next ports
     * when one was taken before the broker bound it, up to {@value #ATTEMPTS} times.
     *
     * @param fixedClientPort the client port the caller chose, 0 for none: that one taken would be taken again
     */
    static EmbeddedKafkaBroker start(Path logDir, Supplier<Ports> ports, int fixedClientPort,
                                     Map<String, String> overrides) {
        return FreePort.retryingTakenPorts("the Kafka broker", ATTEMPTS, () -> startOn(logDir, ports.get(), overrides),
                e -> addressTaken(e) && (fixedClientPort == 0 || !mentions(e, fixedClientPort)));
    }

    private static EmbeddedKafkaBroker startOn(Path logDir, Ports p, Map<String, String> overrides) {
        long started = System.nanoTime();
        Properties props = KraftNode.properties(1, logDir, p.client(), p.controller(),
                "1@127.0.0.1:" + p.controller(), 1);
        props.putAll(overrides);
        KraftNode.format(KraftNode.writeConfig(logDir, props));
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            stop(server);
            throw e;
        }
        log.info("Kafka broker up on 127.0.0.1:{} in {} ms (log dir {})",
                p.client(), (System.nanoTime() - started) / 1_000_000, logDir);
        return new EmbeddedKafkaBroker(server, p.client());
    }

    private static boolean addressTaken(Throwable e) {
        return anyCause(e, t -> t instanceof BindException
                || String.valueOf(t.getMessage()).contains("Address already in use"));
    }

    /** Whether the failure names {@code port} (Kafka: "Socket server failed to bind to 127.0.0.1:9092: ..."). */
    private static boolean mentions(Throwable e, int port) {
        return anyCause(e, t -> String.valueOf(t.getMessage()).contains("127.0.0.1:" + port + ":"));
    }

    private static boolean anyCause(Throwable e, Predicate<Throwable> test) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (test.test(t)) {
                return true;
            }
        }
        return false;
    }

    private static void stop(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        stop(server);
    }
}
