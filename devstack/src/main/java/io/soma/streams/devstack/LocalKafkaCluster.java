package io.soma.streams.devstack;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real multi-node Kafka 4.3.1 KRaft cluster on this machine: every node a combined broker + controller in its
 * own JVM ({@link ClusterBrokerMain}), with fixed ports so that a killed or stopped node restarts into its
 * cluster with its kept log dir. Internal topics are replicated to every node with a majority as min ISR.
 * Every node is killed when the cluster is closed (it is thrown away) or when this JVM exits.
 */
public final class LocalKafkaCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalKafkaCluster.class);
    /** A node restarted after kill -9 recovers its logs first; on a saturated 2-core machine that took ~100 s. */
    private static final Duration START_LIMIT = Duration.ofSeconds(300);
    private static final List<String> DEFAULT_JVM_ARGS = List.of("-Xms128m", "-Xmx768m");
    private static final Duration STOP_LIMIT = Duration.ofSeconds(60);

    private final List<Node> nodes;
    private final List<String> jvmArgs;

    private static final class Node {
        final int id;
        final int clientPort;
        final Path dir;
        final Path configFile;
        Process process;

        Node(int id, int clientPort, Path dir, Path configFile) {
            this.id = id;
            this.clientPort = clientPort;
            this.dir = dir;
            this.configFile = configFile;
        }
    }

    private LocalKafkaCluster(List<Node> nodes, List<String> jvmArgs) {
        this.nodes = nodes;
        this.jvmArgs = jvmArgs;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.forEach(n -> {
            if (n.process != null) {
                n.process.destroyForcibly();
            }
        }), "kafka-cluster-kill"));
    }

    /**
     * Writes every node's config under {@code dir/node-<id>} (log dirs kept between runs), starts the nodes and
     * waits until the cluster has all of them as brokers.
     *
     * @param overrides broker settings that win over the defaults, for every node
     */
    public static LocalKafkaCluster start(Path dir, int size, Map<String, String> overrides) {
        return start(dir, size, overrides, DEFAULT_JVM_ARGS);
    }

    /** As {@link #start(Path, int, Map)}, each node's JVM started with {@code jvmArgs} (heap, GC, JIT). */
    public static LocalKafkaCluster start(Path dir, int size, Map<String, String> overrides, List<String> jvmArgs) {
        long begin = System.nanoTime();
        int[] clientPorts = new int[size];
        int[] controllerPorts = new int[size];
        for (int i = 0; i < size; i++) {
            clientPorts[i] = FreePort.onLoopback();
            controllerPorts[i] = FreePort.onLoopback();
        }
        StringBuilder voters = new StringBuilder();
        for (int i = 0; i < size; i++) {
            voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts[i]);
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Path nodeDir = dir.resolve("node-" + (i + 1));
            Properties props = KraftNode.properties(i + 1, nodeDir, clientPorts[i], controllerPorts[i],
                    voters.toString(), size);
            props.putAll(overrides);
            nodes.add(new Node(i + 1, clientPorts[i], nodeDir, KraftNode.writeConfig(nodeDir, props)));
        }
        LocalKafkaCluster cluster = new LocalKafkaCluster(nodes, jvmArgs);
        try {
            nodes.forEach(cluster::launch);
            cluster.awaitBrokers(size, START_LIMIT);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        log.info("Kafka cluster of {} nodes up on {} in {} ms", size, cluster.bootstrapServers(),
                (System.nanoTime() - begin) / 1_000_000);
        return cluster;
    }

    public String bootstrapServers() {
        return nodes.stream().map(n -> "127.0.0.1:" + n.clientPort).collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.size();
    }

    /** The node's JVM process id, or -1 while it is down. */
    public long pid(int nodeId) {
        Process p = node(nodeId).process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    /** {@code kill -9}: no controlled shutdown, no flush. */
    public void kill(int nodeId) {
        JavaProcess.stop(node(nodeId).process, true, STOP_LIMIT.toMillis());
        log.info("Kafka node {} killed", nodeId);
    }

    /** SIGTERM: the node's controlled shutdown moves its leaderships away before it exits. */
    public void stop(int nodeId) {
        JavaProcess.stop(node(nodeId).process, false, STOP_LIMIT.toMillis());
        log.info("Kafka node {} stopped", nodeId);
    }

    /**
     * Starts a stopped or killed node again with its log dir and ports, and waits until it answers on its own port and
     * is back in the in-sync replicas of every partition it holds. The others' count of brokers alone says nothing:
     * a node killed for less than the brokers' session timeout is still counted, whether it came back or not.
     */
    public void restart(int nodeId) {
        Node node = node(nodeId);
        if (node.process != null && node.process.isAlive()) {
            throw new IllegalStateException("Kafka node " + nodeId + " is running");
        }
        long begin = System.nanoTime();
        launch(node);
        awaitBrokers(nodes.size(), START_LIMIT);
        awaitInSync(node, START_LIMIT);
        log.info("Kafka node {} back in {} ms", nodeId, (System.nanoTime() - begin) / 1_000_000);
    }

    /** Waits until {@code node} answers on its own port and is in the in-sync replicas of every partition it holds. */
    private void awaitInSync(Node node, Duration limit) {
        // bootstrapped at the node's own port, so that it answers; the in-sync replicas are the cluster's
        awaitCluster(List.of(node), limit, admin -> {
            Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(5, TimeUnit.SECONDS);
            List<String> behind = admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS)
                    .values().stream()
                    .flatMap(t -> t.partitions().stream()
                            .filter(p -> p.replicas().stream().anyMatch(r -> r.id() == node.id)
                                    && p.isr().stream().noneMatch(r -> r.id() == node.id))
                            .map(p -> t.name() + "-" + p.partition()))
                    .toList();
            return behind.isEmpty() ? null
                    : behind.size() + " partitions without node " + node.id + " in sync, e.g. " + behind.get(0);
        }, "Kafka node " + node.id + " was not back in sync", "see " + node.dir.resolve("broker.log"));
    }

    /** Waits until the cluster reports {@code count} brokers. */
    public void awaitBrokers(int count, Duration limit) {
        awaitCluster(nodes, limit, admin -> {
            int brokers = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
            return brokers >= count ? null : brokers + " brokers";
        }, "the Kafka cluster did not reach " + count + " brokers", "node logs under " + nodes.get(0).dir.getParent());
    }

    /** What an admin client finds still wrong with the cluster; null once nothing is. */
    @FunctionalInterface
    private interface ClusterCheck {
        String problem(Admin admin) throws Exception;
    }

    /**
     * Asks {@code check} every 200 ms, through an admin client bootstrapped at those of {@code asked} that are up and
     * accept connections, until it finds nothing wrong; fails after {@code limit} with the last problem, or at once
     * when a node died.
     */
    private void awaitCluster(List<Node> asked, Duration limit, ClusterCheck check, String failure, String logs) {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            failIfDied();
            String reachable = asked.stream().filter(n -> n.process != null && n.process.isAlive()
                    && accepts(n.clientPort)).map(n -> "127.0.0.1:" + n.clientPort).collect(Collectors.joining(","));
            if (!reachable.isEmpty()) {
                try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, reachable,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000))) {
                    String problem = check.problem(admin);
                    if (problem == null) {
                        return;
                    }
                    last = problem;
                } catch (Exception e) {
                    last = e.toString();
                }
            }
            sleep(200);
        }
        throw new IllegalStateException(failure + " in " + limit + " (last: " + last + "); " + logs);
    }

    @Override
    public void close() {
        // killed, not stopped: a closed cluster is thrown away, and a clean shutdown cannot finish for the nodes that
        // are last to stop, once a majority of the controllers has gone; they waited out STOP_LIMIT (60 s) every time
        nodes.stream().map(n -> n.process).filter(Objects::nonNull)
                .forEach(p -> JavaProcess.stop(p, true, STOP_LIMIT.toMillis()));
    }

    private void launch(Node node) {
        node.process = JavaProcess.start(ClusterBrokerMain.class, jvmArgs,
                List.of(node.configFile.toString()), node.dir.resolve("broker.log"));
    }

    private void failIfDied() {
        for (Node n : nodes) {
            if (n.process != null && !n.process.isAlive() && n.process.exitValue() != 0
                    && n.process.exitValue() != 137 && n.process.exitValue() != 143) {
                throw new IllegalStateException("Kafka node " + n.id + " exited with " + n.process.exitValue()
                        + "; see " + n.dir.resolve("broker.log"));
            }
        }
    }

    private Node node(int nodeId) {
        if (nodeId < 1 || nodeId > nodes.size()) {
            throw new IllegalArgumentException("no Kafka node " + nodeId + " (1.." + nodes.size() + ")");
        }
        return nodes.get(nodeId - 1);
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the Kafka cluster", e);
        }
    }
}
