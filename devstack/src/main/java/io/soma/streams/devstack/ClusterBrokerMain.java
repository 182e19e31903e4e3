package io.soma.streams.devstack;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * One node of a {@link LocalKafkaCluster}, in its own JVM so that it can be killed and restarted like a real
 * broker: {@code java -cp ... ClusterBrokerMain <server.properties>}. SIGTERM shuts it down cleanly.
 */
public final class ClusterBrokerMain {
    private ClusterBrokerMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ClusterBrokerMain <server.properties>");
            System.exit(2);
        }
        Path configFile = Path.of(args[0]);
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(configFile)) {
            props.load(in);
        }
        KraftNode.format(configFile);
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "broker-shutdown"));
        server.startup();
        server.awaitShutdown();
    }
}
