package io.soma.streams.stores.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This instance's copy of a compacted topic: followed from the beginning, the latest value of every key, a tombstone
 * removing its key. For what every instance must see whole, whichever partitions its apps hold.
 */
public final class CompactedTopicView<V> implements AutoCloseable {
    private final Map<String, V> latest = new ConcurrentHashMap<>();
    private final TopicFollower<V> follower;

    public CompactedTopicView(String bootstrapServers, String topic, Deserializer<V> values) {
        this.follower = new TopicFollower<>(bootstrapServers, topic, values, TopicFollower.Start.BEGINNING,
                this::apply, () -> { });
    }

    private void apply(ConsumerRecord<String, V> r) {
        if (r.value() == null) {
            latest.remove(r.key());
        } else {
            latest.put(r.key(), r.value());
        }
    }

    /** The latest value of every key read so far. */
    public Collection<V> values() {
        return Collections.unmodifiableCollection(latest.values());
    }

    /** Whether the copy holds at least everything the topic held when it started ({@link TopicFollower#caughtUp}). */
    public boolean caughtUp() {
        return follower.caughtUp();
    }

    @Override
    public void close() {
        follower.close();
    }
}
