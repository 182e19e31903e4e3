package io.soma.streams.edge.health;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Readiness of the Kafka cluster itself: a Streams app stays RUNNING while every broker is down, so its state alone
 * does not say the instance can work. Asks the cluster for its brokers with a short timeout.
 */
public final class KafkaReachability implements ReadinessCheck, AutoCloseable {
    private static final int TIMEOUT_MS = 2_000;

    private final Admin admin;

    public KafkaReachability(String bootstrapServers) {
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS));
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public String problem() {
        try {
            int brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
                    .get(TIMEOUT_MS + 500L, TimeUnit.MILLISECONDS).size();
            return brokers > 0 ? null : "the Kafka cluster reports no broker";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while asking Kafka";
        } catch (Exception e) {
            return "Kafka does not answer: " + (e.getCause() == null ? e : e.getCause()).getMessage();
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
