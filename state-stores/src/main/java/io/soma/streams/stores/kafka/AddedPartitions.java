package io.soma.streams.stores.kafka;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps a consumer that reads outside any group (by assignment) on every partition of its topics: at most once an
 * interval it looks for partitions an operator added, and assigns them read from their beginning, since every record
 * there came after the reader started and keys moved there with them. The partitions assigned before keep their
 * positions, and a paused one stays paused. Use on the consumer's own thread.
 */
public final class AddedPartitions {
    /** How often readers look for added partitions, unless told otherwise. */
    public static final Duration CHECK = Duration.ofSeconds(30);
    /** How long a look may wait for the brokers' metadata: the reader has other work than this. */
    private static final Duration LOOK_LIMIT = Duration.ofSeconds(1);

    private final Consumer<?, ?> consumer;
    private final List<String> topics;
    private final Duration interval;
    private long nextLook;

    /** Assigns the consumer every partition {@code topics} have now, and looks again after {@code interval}. */
    public AddedPartitions(Consumer<?, ?> consumer, List<String> topics, Duration interval) {
        this.consumer = consumer;
        this.topics = List.copyOf(topics);
        this.interval = interval;
        consumer.assign(partitionsOf(consumer, topics, Duration.ofSeconds(30)));
        nextLook = System.nanoTime() + interval.toNanos();
    }

    /**
     * What a consumer watched every {@code interval} needs: metadata no older than that, and no topic created again
     * with the broker's defaults when it was deleted (its provisioner's to make).
     */
    public static Map<String, Object> consumerSettings(Duration interval) {
        return Map.of(ConsumerConfig.METADATA_MAX_AGE_CONFIG, (int) interval.toMillis(),
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    }

    /** The partitions assigned when this was made, and since. */
    public Set<TopicPartition> assigned() {
        return consumer.assignment();
    }

    /**
     * When a look is due: the partitions added since the last one, now assigned and read from their beginning;
     * else none.
     */
    public List<TopicPartition> assignAdded() {
        if (System.nanoTime() - nextLook < 0) {
            return List.of();
        }
        nextLook = System.nanoTime() + interval.toNanos();
        Set<TopicPartition> assigned = consumer.assignment();
        List<TopicPartition> added = partitionsOf(consumer, topics, LOOK_LIMIT).stream()
                .filter(p -> !assigned.contains(p)).toList();
        if (!added.isEmpty()) {
            Set<TopicPartition> all = new HashSet<>(assigned);
            all.addAll(added);
            consumer.assign(all);
            consumer.seekToBeginning(added);
        }
        return added;
    }

    private static List<TopicPartition> partitionsOf(Consumer<?, ?> consumer, List<String> topics, Duration limit) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, limit).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        return partitions;
    }
}
