package io.soma.streams.stores.kafka;

import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Follows every partition of one topic on its own thread, outside any consumer group: committed records only
 * (the apps write exactly-once), from the beginning or from the end as it is when the follower starts; a partition
 * added to the topic later is followed from its beginning once the follower sees it (within a minute; until then it
 * counts as current without it). A record
 * it cannot read is logged and skipped (the apps dead-letter theirs; a follower only observes), unless the schema
 * registry could not be reached to read it: then the follower reads it again until it can, and goes no further, so a
 * registry outage never silently drops a record from what callers build (a fail-closed budget, a reply).
 */
public final class TopicFollower<V> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(250);
    /** How long to wait before reading again a record the registry could not resolve, or after a failed poll. */
    private static final Duration RETRY = Duration.ofSeconds(1);

    public enum Start { BEGINNING, END }

    private final KafkaConsumer<String, V> consumer;
    private final String topic;
    private final AddedPartitions partitions;
    private final Consumer<ConsumerRecord<String, V>> onRecord;
    private final Runnable onIdle;
    private final Thread thread;
    /** Where each partition ended when a follower from the beginning started (none from the end). */
    private final Map<TopicPartition, Long> startedAtEnd;
    private volatile boolean caughtUp;
    private volatile boolean running = true;
    /** The record this follower waits for the registry to read, to warn once per record rather than per retry. */
    private String waitingFor;
    /** Where it is held: cleared only once its partition's position has passed that record. */
    private TopicPartition heldPartition;
    private long heldOffset;
    private volatile boolean waitingForRegistry;
    private final FailureStreak failures;

    /**
     * @param onRecord called for each record, on the follower's thread
     * @param onIdle   called after every poll (a place for periodic work), on the follower's thread; when it throws,
     *                 the follower logs it and goes on a second later
     */
    public TopicFollower(String bootstrapServers, String topic, Deserializer<V> values, Start start,
                         Consumer<ConsumerRecord<String, V>> onRecord, Runnable onIdle) {
        this(bootstrapServers, topic, values, start, onRecord, onIdle, AddedPartitions.CHECK);
    }

    TopicFollower(String bootstrapServers, String topic, Deserializer<V> values, Start start,
                  Consumer<ConsumerRecord<String, V>> onRecord, Runnable onIdle, Duration partitionCheck) {
        this.topic = topic;
        this.onRecord = onRecord;
        this.onIdle = onIdle;
        Map<String, Object> config = new HashMap<>(AddedPartitions.consumerSettings(partitionCheck));
        config.putAll(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // held at a record that retention then deleted: go on from the oldest left, not from the end
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), values);
        this.partitions = new AddedPartitions(consumer, List.of(topic), partitionCheck);
        Set<TopicPartition> assigned = partitions.assigned();
        if (start == Start.END) {
            consumer.seekToEnd(assigned);
            // resolve the end now, so nothing published after this constructor returns is skipped
            assigned.forEach(consumer::position);
            startedAtEnd = Map.of();
            caughtUp = true;
        } else {
            consumer.seekToBeginning(assigned);
            // read_committed: the last stable offsets, which a reader passes once it has every committed record
            startedAtEnd = consumer.endOffsets(assigned);
        }
        this.thread = new Thread(this::run, "follow-" + topic);
        this.failures = new FailureStreak(log, thread.getName() + " failed", RETRY);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                try {
                    followOnce();
                    failures.succeeded();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // ending the thread would leave callers with a copy that never changes again (a budget gate
                    // answering 503, replies timing out) until the process restarts
                    failures.failed(e);
                    pause();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void followOnce() {
        followAddedPartitions();
        ConsumerRecords<String, V> records = poll();
        for (ConsumerRecord<String, V> r : records) {
            try {
                onRecord.accept(r);
            } catch (RuntimeException e) {
                log.warn("handling {}@{} failed: {}", r.topic(), r.offset(), e.toString());
            }
        }
        if (!caughtUp) {
            caughtUp = startedAtEnd.entrySet().stream()
                    .allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
        }
        onIdle.run();
    }

    private void followAddedPartitions() {
        List<TopicPartition> added = partitions.assignAdded();
        if (!added.isEmpty()) {
            log.info("{} has new partitions {}: following them from their beginning", topic, added);
        }
    }

    private ConsumerRecords<String, V> poll() {
        try {
            ConsumerRecords<String, V> records = consumer.poll(POLL);
            // a poll may return other partitions' records, or nothing, before it meets the held record again: held
            // until that record is read
            if (heldPartition != null && consumer.position(heldPartition) > heldOffset) {
                heldPartition = null;
                waitingForRegistry = false;
            }
            return records;
        } catch (RecordDeserializationException e) {
            String at = e.topicPartition() + "@" + e.offset();
            if (!SchemaRegistryException.unavailableIn(e)) {
                log.warn("skipping unreadable record at {}: {}", at, String.valueOf(e.getCause()));
                consumer.seek(e.topicPartition(), e.offset() + 1);
                return ConsumerRecords.empty();
            }
            if (!at.equals(waitingFor)) {
                log.warn("cannot read {} while the schema registry is unavailable; reading it again until it can: {}",
                        at, String.valueOf(e.getCause()));
                waitingFor = at;
            }
            waitingForRegistry = true;
            heldPartition = e.topicPartition();
            heldOffset = e.offset();
            consumer.seek(e.topicPartition(), e.offset());
            pause();
            return ConsumerRecords.empty();
        }
    }

    private void pause() {
        try {
            Thread.sleep(RETRY.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Whether every record the topic held when this follower started has been handed to {@code onRecord} (a follower
     * from the end: at once). Until then, what a caller built from the records may miss some.
     */
    public boolean caughtUp() {
        return caughtUp;
    }

    /**
     * Whether this follower holds what the topic holds, but for what arrived since its last poll: it has caught up
     * and is not held at a record the schema registry cannot resolve yet.
     */
    public boolean current() {
        return caughtUp && !waitingForRegistry;
    }

    /**
     * Where each partition ends now (read_committed: its last stable offset), as the brokers say within {@code limit};
     * null when they cannot be asked (cut off, or the topic gone). Only from {@code onIdle}: the consumer is this
     * follower's thread's alone.
     */
    public Map<TopicPartition, Long> endOffsets(Duration limit) {
        try {
            return consumer.endOffsets(consumer.assignment(), limit);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            return null;
        }
    }

    /**
     * Whether this follower is {@link #current()} and has read every partition up to {@code ends} (from
     * {@link #endOffsets}). Only from {@code onIdle}.
     */
    public boolean reached(Map<TopicPartition, Long> ends) {
        return current() && ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
