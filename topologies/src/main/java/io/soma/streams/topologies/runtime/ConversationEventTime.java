package io.soma.streams.topologies.runtime;

import io.soma.streams.avro.ConversationEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time for {@code conversation.events}: the event's own {@code timestamp}, not when it reached Kafka. A
 * record with no usable event time (not an event, or an event without a timestamp) keeps its Kafka record time
 * rather than becoming epoch 0 or throwing, which would stop the stream thread.
 */
public final class ConversationEventTime implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        return record.value() instanceof ConversationEvent event && event.getTimestamp() != null
                ? event.getTimestamp().toEpochMilli()
                : record.timestamp();
    }
}
