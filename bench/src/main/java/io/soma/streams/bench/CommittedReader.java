package io.soma.streams.bench;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Watches a topic the way a downstream reader sees it (read_committed) and reports each record's key with the
 * moment it became visible here. Positioned before {@link #start} returns, so nothing written afterwards is missed.
 */
final class CommittedReader implements AutoCloseable {
    /** Called on the reader's thread for every visible record; returns true once nothing more is wanted. */
    interface Arrivals {
        boolean arrived(String key, long visibleNanos);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;

    private CommittedReader(KafkaConsumer<String, byte[]> consumer, Arrivals arrivals, Duration timeout) {
        this.consumer = consumer;
        this.thread = new Thread(() -> read(arrivals, timeout), "committed-reader");
    }

    /** Starts reading {@code topic} from its beginning, or from its current end when {@code fromEnd}. */
    static CommittedReader start(String bootstrapServers, String topic, boolean fromEnd, Arrivals arrivals, Duration timeout) {
        KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers);
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        if (fromEnd) {
            consumer.seekToEnd(partitions);
        } else {
            consumer.seekToBeginning(partitions);
        }
        partitions.forEach(consumer::position); // resolve the positions now, not at the first poll
        CommittedReader reader = new CommittedReader(consumer, arrivals, timeout);
        reader.thread.start();
        return reader;
    }

    /** Where a read_committed reader of {@code topic} would start if it began at the end now. */
    static Map<TopicPartition, Long> ends(String bootstrapServers, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers)) {
            return consumer.endOffsets(partitions(consumer, topic));
        }
    }

    /** How many records a read_committed reader sees from {@code from} (see {@link #ends}) to the end now. */
    static long count(String bootstrapServers, Map<TopicPartition, Long> from) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers)) {
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet());
            long count = 0;
            while (from.keySet().stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrapServers) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        return consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    private void read(Arrivals arrivals, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean done = false;
        while (!done && System.nanoTime() < deadline) {
            var records = consumer.poll(Duration.ofMillis(20));
            long visible = System.nanoTime();
            for (ConsumerRecord<String, byte[]> r : records) {
                done |= arrivals.arrived(r.key(), visible);
            }
        }
    }

    /** Waits until the reader has what it wanted (or timed out), then closes it. */
    @Override
    public void close() throws InterruptedException {
        thread.join();
        consumer.close();
    }
}
