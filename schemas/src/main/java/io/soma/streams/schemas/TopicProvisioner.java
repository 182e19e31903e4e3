package io.soma.streams.schemas;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Creates the topics of the registry that do not exist yet; existing topics are left as they are. */
public final class TopicProvisioner {
    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    private TopicProvisioner() {
    }

    public static void ensure(String bootstrapServers, Collection<? extends TopicSpec> topics,
                              int partitions, short replicationFactor) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), partitions, replicationFactor).configs(Map.of(
                            TopicConfig.CLEANUP_POLICY_CONFIG,
                            t.compacted() ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE)))
                    .toList();
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    log.info("created topic {}", entry.getKey());
                } catch (ExecutionException e) {
                    // another instance created it between our list and create: that is fine
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            awaitListed(admin, missing.stream().map(NewTopic::name).toList());
        } catch (ExecutionException e) {
            throw new IllegalStateException("creating topics failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within 30 s", e);
        }
    }

    /**
     * Returns once the broker lists every one of {@code names}: a create is acknowledged before the broker's
     * metadata has the topic, and a Streams app started in between fails on a missing source topic.
     */
    private static void awaitListed(Admin admin, List<String> names)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<String> listed = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        while (!listed.containsAll(names)) {
            if (System.nanoTime() > deadline) {
                Set<String> seen = listed;
                throw new IllegalStateException("created topics are still not listed after 30 s: "
                        + names.stream().filter(n -> !seen.contains(n)).toList());
            }
            Thread.sleep(50);
            listed = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    /** What the provisioner needs to know of a topic. */
    public interface TopicSpec {
        String name();

        boolean compacted();
    }
}
