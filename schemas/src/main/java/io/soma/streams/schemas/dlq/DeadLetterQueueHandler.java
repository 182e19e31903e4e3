package io.soma.streams.schemas.dlq;

import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Sends a record that cannot be deserialized to the dead-letter topic, with its original key and value bytes
 * and the {@link DlqHeaders}, and lets the app go on. The record is handed back to Kafka Streams (KIP-1034), so
 * it is produced by the task's own producer, inside the transaction under exactly-once.
 * <p>
 * A schema registry that cannot be reached is not the record's fault: the handler then fails the task rather
 * than bury a good record in the dead-letter topic.
 * <p>
 * Config: {@code deserialization.exception.handler} = this class; the topic is
 * {@code errors.dead.letter.queue.topic.name}, {@value DlqHeaders#TOPIC} when unset.
 */
public class DeadLetterQueueHandler implements DeserializationExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterQueueHandler.class);

    private String deadLetterTopic = DlqHeaders.TOPIC;
    private String applicationId = "unknown";

    @Override
    public void configure(Map<String, ?> configs) {
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (topic != null && !topic.toString().isBlank()) {
            deadLetterTopic = topic.toString();
        }
        Object appId = configs.get(StreamsConfig.APPLICATION_ID_CONFIG);
        if (appId != null) {
            applicationId = appId.toString();
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (registryUnavailable(exception)) {
            log.error("schema registry unavailable while reading {}-{}@{}; failing instead of dead-lettering a "
                    + "possibly good record", record.topic(), record.partition(), record.offset(), exception);
            return Response.fail();
        }
        String reason = exception.getMessage() == null ? exception.getClass().getSimpleName() : exception.getMessage();
        log.warn("dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
                deadLetterTopic, reason);
        ProducerRecord<byte[], byte[]> deadLetter = new ProducerRecord<>(deadLetterTopic, null, record.key(),
                record.value(), DlqHeaders.of(record.headers(), reason, exception.getClass().getName(),
                record.topic(), record.partition(), record.offset(), applicationId));
        return Response.resume(List.of(deadLetter));
    }

    private static boolean registryUnavailable(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException registry && registry.isTransient()) {
                return true;
            }
        }
        return false;
    }
}
