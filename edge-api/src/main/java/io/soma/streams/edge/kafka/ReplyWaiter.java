package io.soma.streams.edge.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Request/reply over Kafka: a caller registers the id it expects, publishes its request, and is completed
 * when a committed record carrying that id arrives on the reply topic. Every instance reads every partition
 * of the reply topic from where it started, so the answer reaches the instance that asked.
 */
public final class ReplyWaiter<V> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplyWaiter.class);

    private final KafkaConsumer<String, V> consumer;
    private final Function<V, String> correlationId;
    private final Map<String, CompletableFuture<V>> waiting = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;

    public ReplyWaiter(String bootstrapServers, String topic, Deserializer<V> values, Function<V, String> correlationId) {
        this.correlationId = correlationId;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), values);
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // resolve the end offsets now, so nothing published after this constructor returns is skipped
        partitions.forEach(consumer::position);
        this.reader = new Thread(this::read, "replies-" + topic);
        reader.setDaemon(true);
        reader.start();
    }

    /** Register before publishing the request; the future completes with the reply. */
    public CompletableFuture<V> expect(String id) {
        return waiting.computeIfAbsent(id, k -> new CompletableFuture<>());
    }

    /** Stop waiting for {@code id} (the caller timed out). */
    public void forget(String id) {
        waiting.remove(id);
    }

    public int pending() {
        return waiting.size();
    }

    private void read() {
        try {
            while (running) {
                ConsumerRecords<String, V> records;
                try {
                    records = consumer.poll(Duration.ofMillis(500));
                } catch (RecordDeserializationException e) {
                    // not a reply we can read: the apps dead-letter such records, here it is only skipped
                    log.warn("skipping unreadable reply at {}@{}: {}", e.topicPartition(), e.offset(), e.getMessage());
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                    continue;
                }
                for (ConsumerRecord<String, V> r : records) {
                    String id = r.value() == null ? null : correlationId.apply(r.value());
                    // records no one asked for (e.g. expiries, which no command caused) carry no id
                    CompletableFuture<V> f = id == null ? null : waiting.remove(id);
                    if (f != null) {
                        f.complete(r.value());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("reply reader stopped", e);
            waiting.values().forEach(f -> f.completeExceptionally(e));
        } finally {
            consumer.close();
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
