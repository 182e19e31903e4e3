package io.soma.streams.stores.archive;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * One archived topic: how its values are read and turned into a row. The archiver consumes raw bytes and
 * deserializes here, so a record that cannot be read reaches the dead-letter path with its original bytes.
 *
 * @param transientFailure which read failures are not the record's fault (a registry that does not answer): the
 *                         archiver retries those with backoff instead of dead-lettering the record
 * @param <V>              the deserialized value type (the Avro record class in production)
 */
public record AuditTopic<V>(String topic, Deserializer<V> deserializer, RowMapper<V> mapper,
                            Predicate<RuntimeException> transientFailure) {

    /** Maps a deserialized value to its row; throws (any RuntimeException) when the value cannot be archived. */
    @FunctionalInterface
    public interface RowMapper<V> {
        ArchiveRow map(V value, KafkaSource source);
    }

    public AuditTopic {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(deserializer, "deserializer");
        Objects.requireNonNull(mapper, "mapper");
        Objects.requireNonNull(transientFailure, "transientFailure");
    }

    /** A topic whose every read failure is the record's own. */
    public AuditTopic(String topic, Deserializer<V> deserializer, RowMapper<V> mapper) {
        this(topic, deserializer, mapper, failure -> false);
    }

    /** @throws RuntimeException with the reason when the record cannot become a row */
    ArchiveRow toRow(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            throw new IllegalArgumentException("record has no value");
        }
        V value = deserializer.deserialize(record.topic(), record.headers(), record.value());
        if (value == null) {
            throw new IllegalArgumentException("value deserialized to null");
        }
        return Objects.requireNonNull(mapper.map(value, KafkaSource.of(record)), "mapper returned no row");
    }

    boolean isTransient(RuntimeException failure) {
        return transientFailure.test(failure);
    }
}
