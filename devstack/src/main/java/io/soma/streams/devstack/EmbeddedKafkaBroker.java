package io.soma.streams.devstack;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A real single-node Kafka 4.3.1 broker (combined broker + KRaft controller) running inside this JVM,
 * built from the production jars. Its log directory is kept between runs, so a restart finds its data.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

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
        long started = System.nanoTime();
        int clientPort = port == 0 ? FreePort.onLoopback() : port;
        int controllerPort = FreePort.onLoopback();
        Properties props = KraftNode.properties(1, logDir, clientPort, controllerPort,
                "1@127.0.0.1:" + controllerPort, 1);
        props.putAll(overrides);
        KraftNode.format(KraftNode.writeConfig(logDir, props));
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        log.info("Kafka broker up on 127.0.0.1:{} in {} ms (log dir {})",
                clientPort, (System.nanoTime() - started) / 1_000_000, logDir);
        return new EmbeddedKafkaBroker(server, clientPort);
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
