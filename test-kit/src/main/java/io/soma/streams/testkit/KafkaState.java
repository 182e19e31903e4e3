package io.soma.streams.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Waits for the broker to show a state an admin call asked for. Admin calls return when the controller has
 * accepted a change, not when every broker applies it: reading back at once races.
 */
public final class KafkaState {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private KafkaState() {
    }

    /** Waits until {@code topic}'s config {@code name} reads {@code value} on the broker. */
    public static void awaitTopicConfig(Admin admin, String topic, String name, String value) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Await.value(topic + " " + name + "=" + value, TIMEOUT, () -> {
            Config config = get(admin.describeConfigs(List.of(resource)).all()).get(resource);
            ConfigEntry entry = config.get(name);
            return entry == null ? "(unset)" : String.valueOf(entry.value());
        }, value::equals);
    }

    /**
     * A topic of its own for one test, {@code <prefix>-<random>} with {@code partitions} partitions (replication 1),
     * created and served ({@link #createTopics}): no other test, nor an earlier run, ever wrote to it.
     *
     * @return its name
     */
    public static String newTopic(String bootstrapServers, String prefix, int partitions) {
        String topic = prefix + "-" + UUID.randomUUID();
        createTopics(bootstrapServers, new NewTopic(topic, partitions, (short) 1));
        return topic;
    }

    /**
     * Creates {@code topics} (one that exists already is fine) and returns once every partition's leader serves it:
     * a Streams app or a partition lookup right after a create can find no such topic yet, and a producer writing at
     * once can lose its first batch (see {@link #awaitServed}).
     */
    public static void createTopics(String bootstrapServers, NewTopic... topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(topics)).values().forEach((name, created) -> {
                try {
                    get(created, TIMEOUT);
                } catch (IllegalStateException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create " + name, e.getCause());
                    }
                }
            });
            awaitServed(admin, Stream.of(topics).map(NewTopic::name).toList());
        }
    }

    /**
     * Waits until the leader of every partition of {@code topics} answers for it. An idempotent producer writing to a
     * partition its leader has not opened yet has its first batch refused, the next appended, and every retry of the
     * first refused as out of order until it expires: records lost (KAFKA-14359). A leader answering ListOffsets for
     * a partition has it open for writes too.
     */
    public static void awaitServed(Admin admin, Collection<String> topics) {
        Await.until("every partition of " + topics + " served by its leader", TIMEOUT, () -> {
            Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
            get(admin.describeTopics(topics).allTopicNames()).values().forEach(topic -> topic.partitions().forEach(
                    p -> partitions.put(new TopicPartition(topic.name(), p.partition()), OffsetSpec.latest())));
            get(admin.listOffsets(partitions).all());
            return true;
        });
    }

    /** Waits until the consumer group {@code groupId} is in a state {@code wanted} accepts. */
    public static void awaitGroupState(Admin admin, String groupId, Predicate<GroupState> wanted) {
        Await.value("group " + groupId + " in the wanted state", TIMEOUT,
                () -> get(admin.describeConsumerGroups(List.of(groupId)).all()).get(groupId),
                (ConsumerGroupDescription d) -> wanted.test(d.groupState()));
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) {
        return get(future, Duration.ofSeconds(10));
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future, Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
