package io.soma.streams.bench;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;

/**
 * The baseline of the pipeline benchmark: what exactly-once costs without any processing. Copies records byte for
 * byte from one topic to another in Kafka transactions the way Kafka Streams' exactly-once v2 does: read_committed
 * input, one transactional producer, consumed offsets committed inside the transaction, a commit every 100 ms (as
 * Streams' default with exactly-once; {@code -Dbench.copy.commit.interval.ms} sets another, to compare an app with
 * its own interval against a copy at the same), and Streams' own client defaults (1,000 records per poll, lz4 as
 * {@code StreamsSettings} sets).
 */
final class TransactionalCopy {
    /** The copy's settings: {@code bench.copy.commit.interval.ms}. */
    static final String SETTINGS_PREFIX = "bench.copy.";

    private TransactionalCopy() {
    }

    /** The copy's commit interval, 100 ms unless {@code -Dbench.copy.commit.interval.ms} sets another. */
    static long commitIntervalMs() {
        return Long.getLong(SETTINGS_PREFIX + "commit.interval.ms", 100);
    }

    /**
     * Copies records from {@code sources} to the same partitions of {@code target} as a member of consumer group
     * {@code groupId} (several copies share the partitions like instances of an app) until {@code finished} says so
     * for the number copied so far, or the timeout; returns how many it copied. Until {@code go} says so it only
     * takes part in the group, its partitions paused.
     */
    static long run(String bootstrapServers, String groupId, List<String> sources, String target, BooleanSupplier go,
                    LongPredicate finished, Duration timeout) {
        String id = groupId + "-" + UUID.randomUUID();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ProducerConfig.TRANSACTIONAL_ID_CONFIG, id,
                     ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                     ProducerConfig.LINGER_MS_CONFIG, 100),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(sources, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!go.getAsBoolean()) {
                        consumer.pause(partitions);
                    }
                }
            });
            producer.beginTransaction();
            Map<TopicPartition, OffsetAndMetadata> consumed = new HashMap<>();
            long copied = 0;
            long lastCommit = System.nanoTime();
            long deadline = System.nanoTime() + timeout.toNanos();
            long commitIntervalNanos = Duration.ofMillis(commitIntervalMs()).toNanos();
            boolean done = false;
            boolean started = false;
            while (!done && System.nanoTime() < deadline) {
                if (!started && go.getAsBoolean()) {
                    consumer.resume(consumer.paused());
                    started = true;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    producer.send(new ProducerRecord<>(target, r.partition(), r.timestamp(), r.key(), r.value(), r.headers()));
                    consumed.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    copied++;
                }
                done = finished.test(copied);
                if (!consumed.isEmpty() && (done || System.nanoTime() - lastCommit >= commitIntervalNanos)) {
                    producer.sendOffsetsToTransaction(consumed, consumer.groupMetadata());
                    producer.commitTransaction();
                    producer.beginTransaction();
                    consumed.clear();
                    lastCommit = System.nanoTime();
                }
            }
            producer.abortTransaction();
            return copied;
        }
    }
}
