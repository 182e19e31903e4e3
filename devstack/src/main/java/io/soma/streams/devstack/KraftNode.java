package io.soma.streams.devstack;

import kafka.tools.StorageTool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The settings of one combined broker + KRaft controller node of a local cluster (one node for the demo and the
 * tests, three for the reliability drills), and the formatting of its log dir. Static voters: a node restarted on
 * the same ports with its kept log dir rejoins its cluster.
 */
final class KraftNode {
    /** A fixed id: formatting is idempotent with --ignore-formatted only when the id stays the same. */
    static final String CLUSTER_ID = "c29tYS1zdHJlYW1zLWRldg";

    private KraftNode() {
    }

    /**
     * @param voters      {@code id@host:controllerPort,...} of every node of the cluster
     * @param clusterSize replication of the internal topics (offsets, transactions); min ISR is a majority of it
     */
    static Properties properties(int nodeId, Path logDir, int clientPort, int controllerPort, String voters,
                                 int clusterSize) {
        String replication = Integer.toString(clusterSize);
        String minIsr = Integer.toString(clusterSize / 2 + 1);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", voters);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.resolve("kafka-logs").toAbsolutePath().toString());
        p.put("offsets.topic.replication.factor", replication);
        p.put("offsets.topic.num.partitions", "3");
        p.put("transaction.state.log.replication.factor", replication);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("transaction.state.log.num.partitions", "3");
        p.put("share.coordinator.state.topic.replication.factor", replication);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        p.put("default.replication.factor", replication);
        p.put("min.insync.replicas", minIsr);
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.streams.initial.rebalance.delay.ms", "0");
        p.put("group.streams.heartbeat.interval.ms", "500");
        p.put("group.streams.min.heartbeat.interval.ms", "500");
        p.put("log.cleaner.dedupe.buffer.size", "2097152");
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "3");
        return p;
    }

    /** Writes the node's config as {@code server.properties} in its log dir (replaced at every start). */
    static Path writeConfig(Path logDir, Properties props) {
        try {
            Files.createDirectories(logDir);
            Path file = logDir.resolve("server.properties");
            try (var out = Files.newOutputStream(file)) {
                props.store(out, "written by the devstack at every start");
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the broker config under " + logDir, e);
        }
    }

    /** Formats the log dir unless it already is (then its data is kept). */
    static void format(Path configFile) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int rc = StorageTool.execute(new String[] {
                "format", "--ignore-formatted", "-t", CLUSTER_ID, "-c", configFile.toString()},
                new PrintStream(buffer, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("formatting the Kafka log dir failed (" + rc + "): "
                    + buffer.toString(StandardCharsets.UTF_8));
        }
    }
}
