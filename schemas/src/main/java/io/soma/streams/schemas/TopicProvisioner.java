package io.soma.streams.schemas;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Creates the topics of the registry that do not exist yet; of existing topics, only a record limit lower than its
 * spec asks for is changed, and one whose cleanup policy would lose data stops the process (it is not changed).
 */
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
                    .map(t -> new NewTopic(t.name(), partitions, replicationFactor).configs(configs(t)))
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
            awaitServed(admin, missing.stream().map(NewTopic::name).toList());
            List<? extends TopicSpec> found = topics.stream().filter(t -> existing.contains(t.name())).toList();
            // also those another instance created a moment ago (starting together, it listed them, this one did not);
            // but a partition of an older topic that stays offline is the operator's to mend, not a reason to stop
            try {
                awaitServed(admin, found.stream().map(TopicSpec::name).toList());
            } catch (IllegalStateException e) {
                log.warn("starting anyway: {}", e.getMessage());
            }
            refuseWrongCleanupPolicies(admin, found);
            raiseRecordLimits(admin, found);
        } catch (ExecutionException e) {
            throw new IllegalStateException("creating topics failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within 30 s", e);
        }
    }

    private static Map<String, String> configs(TopicSpec topic) {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
                topic.compacted() ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
        if (topic.maxMessageBytes() > 0) {
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(topic.maxMessageBytes()));
        }
        return configs;
    }

    /**
     * Fails when an existing topic's {@code cleanup.policy} would lose data: a topic made by hand or by a broker's
     * auto-creation before this process first ran has the broker's default, {@code delete}. A compacted topic (the
     * active constitution, the training locks, the budgets) would then lose its latest values after
     * {@code retention.ms}, and an event or audit topic that is compacted would keep one record per key. Changing
     * the policy of a topic that holds data is an operator's decision, so the process does not alter it; it says
     * which topics and how. A cluster whose ACLs hide topic configs gets a warning instead.
     */
    private static void refuseWrongCleanupPolicies(Admin admin, List<? extends TopicSpec> existing)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        if (existing.isEmpty()) {
            return;
        }
        Map<ConfigResource, TopicSpec> byResource = new HashMap<>();
        existing.forEach(t -> byResource.put(new ConfigResource(ConfigResource.Type.TOPIC, t.name()), t));
        Map<ConfigResource, org.apache.kafka.clients.admin.Config> configs;
        try {
            configs = admin.describeConfigs(byResource.keySet()).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof AuthorizationException)) {
                throw e;
            }
            log.warn("cannot check the cleanup.policy of the existing topics ({}); each compacted topic must have "
                    + "cleanup.policy=compact", e.getCause().getMessage());
            return;
        }
        List<String> wrong = new java.util.ArrayList<>();
        configs.forEach((resource, config) -> {
            ConfigEntry entry = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            String policy = entry == null || entry.value() == null ? TopicConfig.CLEANUP_POLICY_DELETE : entry.value();
            Set<String> policies = Arrays.stream(policy.split(",")).map(String::trim).collect(Collectors.toSet());
            boolean compacts = policies.contains(TopicConfig.CLEANUP_POLICY_COMPACT);
            // compact,delete also drops a key's latest value once older than the retention, or past its size
            boolean expires = policies.contains(TopicConfig.CLEANUP_POLICY_DELETE)
                    && !(unlimited(config, TopicConfig.RETENTION_MS_CONFIG)
                    && unlimited(config, TopicConfig.RETENTION_BYTES_CONFIG));
            TopicSpec spec = byResource.get(resource);
            if (spec.compacted() != compacts || (spec.compacted() && expires)) {
                wrong.add(resource.name() + " has cleanup.policy=" + policy + " where it needs "
                        + (spec.compacted() ? TopicConfig.CLEANUP_POLICY_COMPACT
                        + " (or compact,delete with retention.ms and retention.bytes -1)" : TopicConfig.CLEANUP_POLICY_DELETE)
                        + " (kafka-configs.sh --alter --entity-type topics --entity-name " + resource.name()
                        + " --add-config cleanup.policy=" + configs(spec).get(TopicConfig.CLEANUP_POLICY_CONFIG) + ")");
            }
        });
        if (!wrong.isEmpty()) {
            throw new IllegalStateException("topics with a cleanup policy that would lose data: "
                    + String.join("; ", wrong));
        }
    }

    private static boolean unlimited(org.apache.kafka.clients.admin.Config config, String name) {
        ConfigEntry entry = config.get(name);
        return entry != null && "-1".equals(entry.value());
    }

    /**
     * Raises {@code max.message.bytes} of existing topics that need more than they take (a topic made before its spec
     * asked for it); a larger limit an operator set is left alone.
     */
    private static void raiseRecordLimits(Admin admin, List<? extends TopicSpec> existing)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        Map<ConfigResource, TopicSpec> limited = new HashMap<>();
        existing.stream().filter(t -> t.maxMessageBytes() > 0)
                .forEach(t -> limited.put(new ConfigResource(ConfigResource.Type.TOPIC, t.name()), t));
        if (limited.isEmpty()) {
            return;
        }
        try {
            raise(admin, limited);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof AuthorizationException)) {
                throw e;
            }
            // a cluster whose ACLs do not let the process alter topic configs: an operator sets it once
            limited.forEach((resource, spec) -> log.warn("cannot check or raise max.message.bytes of {} ({}); set it "
                    + "once: kafka-configs.sh --alter --entity-type topics --entity-name {} --add-config "
                    + "max.message.bytes={}", resource.name(), e.getCause().getMessage(), resource.name(),
                    spec.maxMessageBytes()));
        }
    }

    private static void raise(Admin admin, Map<ConfigResource, TopicSpec> limited)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        Map<ConfigResource, Collection<AlterConfigOp>> raises = new HashMap<>();
        admin.describeConfigs(limited.keySet()).all().get(30, TimeUnit.SECONDS).forEach((resource, config) -> {
            ConfigEntry entry = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            int wanted = limited.get(resource).maxMessageBytes();
            if (entry == null || entry.value() == null || Integer.parseInt(entry.value()) < wanted) {
                raises.put(resource, List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        Integer.toString(wanted)), AlterConfigOp.OpType.SET)));
                log.info("raising max.message.bytes of {} to {}", resource.name(), wanted);
            }
        });
        if (!raises.isEmpty()) {
            admin.incrementalAlterConfigs(raises).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Returns once the leader of every partition of {@code names} answers for it. A create is acknowledged before
     * the brokers apply it: a Streams app started in between fails on a missing source topic, and an idempotent
     * producer writing at once can lose records despite {@code acks=all}: its first batch is refused by a leader
     * that has not opened the partition yet, its next batch is appended once it has, and every retry of the first
     * is then refused as out of order until it expires (KAFKA-14359). A leader answering a ListOffsets request for a
     * partition has it open for writes too.
     */
    private static void awaitServed(Admin admin, List<String> names)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        if (names.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values()
                        .forEach(topic -> topic.partitions().forEach(p -> partitions.put(
                                new TopicPartition(topic.name(), p.partition()), OffsetSpec.latest())));
                // the admin client itself retries a partition without a leader until its call times out; bounded
                // below the wait here, so that such a partition ends as a retriable failure of this loop
                admin.listOffsets(partitions, new ListOffsetsOptions().timeoutMs(10_000)).all()
                        .get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the partitions of the topics " + names
                            + " have no leader serving them after 30 s: " + e.getCause().getMessage(), e.getCause());
                }
                Thread.sleep(50);
            }
        }
    }

    /** What the provisioner needs to know of a topic. */
    public interface TopicSpec {
        String name();

        boolean compacted();

        /** The topic's {@code max.message.bytes}, or 0 for the brokers' default. */
        default int maxMessageBytes() {
            return 0;
        }
    }
}
