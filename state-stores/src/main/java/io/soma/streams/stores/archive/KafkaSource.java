package io.soma.streams.stores.archive;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Where an archived row came from in Kafka. */
public record KafkaSource(String topic, int partition, long offset) {
    public static KafkaSource of(ConsumerRecord<?, ?> record) {
        return new KafkaSource(record.topic(), record.partition(), record.offset());
    }
}
