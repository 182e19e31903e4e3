package io.soma.streams.stores.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * This instance's copy of a compacted topic: followed from the beginning, what it keeps of the latest value of every
 * key, a tombstone removing its key. For what every instance must see whole, whichever partitions its apps hold.
 *
 * @param <V> the topic's values
 * @param <S> what the copy keeps of each: the value itself, or only the part callers need of every key
 */
public final class CompactedTopicView<V, S> implements AutoCloseable {
    private final Map<String, S> latest = new ConcurrentHashMap<>();
    private final Function<? super V, ? extends S> kept;
    private final TopicFollower<V> follower;

    /** A copy that keeps every value whole. */
    public static <V> CompactedTopicView<V, V> whole(String bootstrapServers, String topic, Deserializer<V> values) {
        return new CompactedTopicView<>(bootstrapServers, topic, values, Function.identity());
    }

    /** A copy that keeps of each value what {@code kept} takes from it (memory: every key is held). */
    public CompactedTopicView(String bootstrapServers, String topic, Deserializer<V> values,
                              Function<? super V, ? extends S> kept) {
        this.kept = kept;
        this.follower = new TopicFollower<>(bootstrapServers, topic, values, TopicFollower.Start.BEGINNING,
                this::apply, () -> { });
    }

    private void apply(ConsumerRecord<String, V> r) {
        if (r.value() == null) {
            latest.remove(r.key());
        } else {
            latest.put(r.key(), kept.apply(r.value()));
        }
    }

    /** What is kept of the latest value of every key read so far. */
    public Collection<S> values() {
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
