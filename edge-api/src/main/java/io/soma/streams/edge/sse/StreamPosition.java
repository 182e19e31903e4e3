package io.soma.streams.edge.sse;

import io.soma.streams.edge.http.ApiException;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * How far a client has read: the last offset delivered per topic-partition. It is the SSE event id, so a
 * client that reconnects with {@code Last-Event-ID} resumes from Kafka exactly where it stopped.
 * Encoded as {@code topic/partition/offset,…}.
 */
final class StreamPosition {
    private final Map<TopicPartition, Long> lastDelivered;

    StreamPosition(Map<TopicPartition, Long> lastDelivered) {
        this.lastDelivered = new TreeMap<>((a, b) -> a.topic().equals(b.topic())
                ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
        this.lastDelivered.putAll(lastDelivered);
    }

    static StreamPosition decode(String id) {
        Map<TopicPartition, Long> positions = new HashMap<>();
        for (String part : id.split(",")) {
            String[] fields = part.split("/");
            try {
                if (fields.length != 3) {
                    throw new NumberFormatException();
                }
                long offset = Long.parseLong(fields[2]);
                if (offset < -1) {
                    throw new NumberFormatException();
                }
                positions.put(new TopicPartition(fields[0], Integer.parseInt(fields[1])), offset);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Last-Event-ID '" + id + "' is not an id this stream sent");
            }
        }
        return new StreamPosition(positions);
    }

    /** -1 when nothing of that partition was delivered. */
    long lastDelivered(TopicPartition tp) {
        return lastDelivered.getOrDefault(tp, -1L);
    }

    void advance(TopicPartition tp, long offset) {
        lastDelivered.put(tp, offset);
    }

    /** Moves each partition of {@code offsets} this position holds forward to its offset there; true if any moved. */
    boolean advanceTo(Map<TopicPartition, Long> offsets) {
        boolean moved = false;
        for (Map.Entry<TopicPartition, Long> e : lastDelivered.entrySet()) {
            Long to = offsets.get(e.getKey());
            if (to != null && to > e.getValue()) {
                e.setValue(to);
                moved = true;
            }
        }
        return moved;
    }

    Map<TopicPartition, Long> asMap() {
        return Map.copyOf(lastDelivered);
    }

    String encode() {
        StringJoiner out = new StringJoiner(",");
        lastDelivered.forEach((tp, offset) -> out.add(tp.topic() + "/" + tp.partition() + "/" + offset));
        return out.toString();
    }
}
