package io.soma.streams.edge.audit;

import io.soma.streams.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The records the dead-letter topic ({@value Topics#DEAD_LETTER}) holds, every app's, read from its offsets: the end
 * minus the beginning of each partition, so nothing is consumed. A consumer is not thread-safe: one call at a time.
 */
final class DeadLetterCount implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> offsets;

    DeadLetterCount(String bootstrapServers) {
        offsets = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    synchronized long held() {
        List<TopicPartition> partitions = offsets.partitionsFor(Topics.DEAD_LETTER, TIMEOUT).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        Map<TopicPartition, Long> beginnings = offsets.beginningOffsets(partitions, TIMEOUT);
        return offsets.endOffsets(partitions, TIMEOUT).entrySet().stream()
                .mapToLong(end -> end.getValue() - beginnings.get(end.getKey())).sum();
    }

    @Override
    public void close() {
        offsets.close();
    }
}
