package io.soma.streams.testkit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Reads a topic from the start as a downstream consumer of an exactly-once app does (read_committed), until a
 * number of wanted records came, then a little longer so that a duplicate would show. Fails with what it saw
 * when the records do not come.
 */
public final class CommittedRecords {
    /** How long reading goes on after the wanted count was reached: a duplicate would arrive in it. */
    public static final Duration SETTLE = Duration.ofSeconds(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);

    private CommittedRecords() {
    }

    /** The values of {@code topic} that {@code wanted} accepts: at least {@code n}, or an assertion error. */
    public static <K, V> List<V> awaitValues(String bootstrapServers, String topic, Deserializer<K> keys,
                                             Deserializer<V> values, Predicate<? super V> wanted, int n) {
        return await(bootstrapServers, topic, keys, values, r -> wanted.test(r.value()), n, DEFAULT_TIMEOUT)
                .stream().map(ConsumerRecord::value).toList();
    }

    /**
     * The records of {@code topic} that {@code wanted} accepts, read from the start with read_committed: at
     * least {@code n} (more if duplicates came during {@link #SETTLE}), or an assertion error after {@code timeout}
     * saying how many came and which was read last.
     */
    public static <K, V> List<ConsumerRecord<K, V>> await(String bootstrapServers, String topic, Deserializer<K> keys,
                                                          Deserializer<V> values,
                                                          Predicate<? super ConsumerRecord<K, V>> wanted, int n,
                                                          Duration timeout) {
        List<ConsumerRecord<K, V>> found = new ArrayList<>();
        long read = 0;
        ConsumerRecord<K, V> lastRead = null;
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), keys, values)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            long end = deadline;
            while (System.nanoTime() < end) {
                for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    lastRead = r;
                    if (wanted.test(r)) {
                        found.add(r);
                    }
                }
                if (found.size() >= n && end == deadline) {
                    end = Math.min(deadline, System.nanoTime() + SETTLE.toNanos());
                }
            }
        }
        if (found.size() < n) {
            throw new AssertionError("timed out after " + timeout + " reading " + topic + ": " + found.size() + " of "
                    + n + " wanted records among " + read + " read; last read: "
                    + (lastRead == null ? "none" : lastRead.partition() + "@" + lastRead.offset() + " " + lastRead.value()));
        }
        return found;
    }
}
