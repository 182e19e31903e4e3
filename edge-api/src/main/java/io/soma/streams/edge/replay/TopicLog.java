package io.soma.streams.edge.replay;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** A topic read as a downstream consumer of exactly-once apps sees it, and how far an app's group has read. */
final class TopicLog {
    private static final Duration POLL = Duration.ofMillis(200);

    private TopicLog() {
    }

    /** Every committed record of {@code topic} up to its last stable offset now, partition by partition in order. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrapServers, String topic, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        forEach(bootstrapServers, topic, timeout, records::add);
        return records;
    }

    /** Hands every committed record of {@code topic} up to its last stable offset now to {@code each}; returns how many. */
    static long forEach(String bootstrapServers, String topic, Duration timeout,
                        Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            // with read_committed, the end is the last stable offset: nothing of an open transaction is read
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            long count = 0;
            while (!reachedEnd(consumer, ends)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + topic + " at " + bootstrapServers + " did not reach "
                            + ends + " within " + timeout + " (" + count + " records read)");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        each.accept(r);
                        count++;
                    }
                }
            }
            return count;
        }
    }

    /**
     * The records of several partitions merged by timestamp: the earliest head first, ties to the lower partition.
     * Each partition's own order is kept even where its timestamps go back.
     */
    static List<ConsumerRecord<byte[], byte[]>> inEventTimeOrder(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<Integer, Deque<ConsumerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
        records.forEach(r -> byPartition.computeIfAbsent(r.partition(), p -> new ArrayDeque<>()).add(r));
        List<ConsumerRecord<byte[], byte[]>> merged = new ArrayList<>(records.size());
        PriorityQueue<Deque<ConsumerRecord<byte[], byte[]>>> heads = new PriorityQueue<>(
                Comparator.<Deque<ConsumerRecord<byte[], byte[]>>>comparingLong(d -> d.peekFirst().timestamp())
                        .thenComparingInt(d -> d.peekFirst().partition()));
        heads.addAll(byPartition.values());
        while (!heads.isEmpty()) {
            Deque<ConsumerRecord<byte[], byte[]>> next = heads.poll();
            merged.add(next.pollFirst());
            if (!next.isEmpty()) {
                heads.add(next);
            }
        }
        return merged;
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> ends) {
        return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    /**
     * How many committed records of {@code topics} the consumer group {@code groupId} has not yet consumed (and
     * committed, which for an exactly-once app means its outputs for them are committed too).
     */
    static long lag(Admin admin, String groupId, Collection<String> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, Long> ends = stableEnds(admin, topics);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        long lag = 0;
        for (var end : ends.entrySet()) {
            OffsetAndMetadata done = committed.get(end.getKey());
            lag += Math.max(0, end.getValue() - (done == null ? 0 : done.offset()));
        }
        return lag;
    }

    /** The sum of the last stable offsets of {@code topics}: it grows with every record written to them. */
    static long stableEnd(Admin admin, Collection<String> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        return stableEnds(admin, topics).values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<TopicPartition, Long> stableEnds(Admin admin, Collection<String> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        Set<TopicPartition> partitions = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS)
                .values().stream()
                .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())))
                .collect(Collectors.toSet());
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }
}
