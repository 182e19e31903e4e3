package io.soma.streams.topologies;

import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.testkit.CommittedRecords;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Finds the dead letter an app wrote for a record the test sent, by the source headers every app sets. */
public final class DeadLetters {
    private DeadLetters() {
    }

    /** The headers of the committed dead letter of the record at {@code source}; fails after 30 s without one. */
    public static Map<String, String> headersOf(String bootstrapServers, RecordMetadata source) {
        return headers(of(bootstrapServers, source));
    }

    /** The committed dead letter of the record at {@code source}; fails after the kit's default wait without one. */
    public static ConsumerRecord<byte[], byte[]> of(String bootstrapServers, RecordMetadata source) {
        return CommittedRecords.await(bootstrapServers, Topics.DEAD_LETTER,
                new ByteArrayDeserializer(), new ByteArrayDeserializer(), r -> {
                    Map<String, String> headers = headers(r);
                    return source.topic().equals(headers.get(DlqHeaders.SOURCE_TOPIC))
                            && String.valueOf(source.partition()).equals(headers.get(DlqHeaders.SOURCE_PARTITION))
                            && String.valueOf(source.offset()).equals(headers.get(DlqHeaders.SOURCE_OFFSET));
                }, 1, CommittedRecords.DEFAULT_TIMEOUT).get(0);
    }

    public static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new HashMap<>();
        record.headers().forEach(h -> headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8)));
        return headers;
    }
}
