package io.soma.streams.topologies.runtime;

import io.soma.streams.avro.ConversationEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

import java.time.Duration;

/**
 * Event time for {@code conversation.events}: the event's own {@code timestamp}, not when it reached Kafka. A
 * record with no usable event time (not an event, an event without a timestamp, or one before 1970) keeps its Kafka
 * record time rather than becoming epoch 0, throwing (which would stop the stream thread) or being negative (which
 * Kafka Streams drops with a log line and no dead letter).
 *
 * <p>An event time more than {@link #MAX_AHEAD} after its record's time (a gateway's local time labelled UTC,
 * microseconds sent as milliseconds) is not believed: the record time stands in. Stream time is a partition's, so
 * one such event would otherwise move it ahead for every tenant or model on the partition, and their real events
 * after it would be dropped as late, for hours or for good.
 */
public final class ConversationEventTime implements TimestampExtractor {
    /** How far an event's own time may run ahead of its record's: the clock skew allowed between producers. */
    public static final Duration MAX_AHEAD = Duration.ofMinutes(5);

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (!(record.value() instanceof ConversationEvent event) || event.getTimestamp() == null) {
            return record.timestamp();
        }
        long eventTime = event.getTimestamp().toEpochMilli();
        // before 1970 (-1 for "unknown"): Kafka Streams would drop the record, unseen by every app
        return eventTime < 0 || eventTime - record.timestamp() > MAX_AHEAD.toMillis() ? record.timestamp() : eventTime;
    }
}
