package io.soma.streams.schemas.dlq;

import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Sends a record that cannot be deserialized, whose processing throws, or whose output cannot be serialized, to the
 * dead-letter topic, with its original key and value bytes (unless too large: {@link DeadLetterLimit}) and the {@link DlqHeaders}, and lets the
 * app go on. The record is handed back to Kafka Streams (KIP-1034), so it is produced by the task's own producer,
 * inside the transaction under exactly-once.
 * <p>
 * A schema registry that cannot be reached, or that refuses the app's credentials, is not the record's fault: the
 * handler then fails the task rather than bury a good record in the dead-letter topic.
 * <p>
 * Config: {@code deserialization.exception.handler}, {@code processing.exception.handler} and
 * {@code production.exception.handler} = this class; the topic is
 * {@code errors.dead.letter.queue.topic.name}, {@value Topics#DEAD_LETTER} when unset.
 */
public class DeadLetterQueueHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler,
        ProductionExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterQueueHandler.class);

    /** {@link DlqHeaders#OMITTED} of a dead letter made without its source's key and value. */
    static final String RELEASED = "key and value: not available to the handler (Kafka Streams releases them once an "
            + "output of the record is written, or both are null); read the record at dlq.source.*";

    /** {@link DlqHeaders#OMITTED} of a dead letter of a record a punctuator made: it has no source to read. */
    static final String MADE_AT_PUNCTUATION = "key and value: none, the record was made at a punctuation, not read "
            + "from a topic (the reason says what failed)";

    private String deadLetterTopic = Topics.DEAD_LETTER;
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
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
                                                                ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        if (SchemaRegistryException.unavailableIn(exception)) {
            log.error("schema registry unavailable to this app while reading {}-{}@{}; failing instead of dead-lettering a "
                    + "possibly good record", record.topic(), record.partition(), record.offset(), exception);
            return DeserializationExceptionHandler.Response.fail();
        }
        String reason = reason(exception);
        log.warn("dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
                deadLetterTopic, reason);
        return DeserializationExceptionHandler.Response.resume(List.of(deadLetter(record.key(), record.value(),
                record.headers(), reason, exception, record.topic(), record.partition(), record.offset())));
    }

    /**
     * A processor threw on a record: a bug or a value no rule foresaw. Retrying would throw again and stall the
     * partition, so the source record goes to the dead-letter topic with the reason. Failures that are not the
     * record's (the registry, Kafka itself) still fail the task, which exactly-once then redoes.
     */
    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
                                                           Exception exception) {
        if (SchemaRegistryException.unavailableIn(exception) || notTheRecordsFault(exception)) {
            log.error("processing {}-{}@{} failed for a reason outside the record; failing the task",
                    context.topic(), context.partition(), context.offset(), exception);
            return ProcessingExceptionHandler.Response.fail();
        }
        if (record == null) {
            // a punctuator threw: there is no record to set aside (Kafka passes none), and failing would replace the
            // thread only for the punctuator to throw again, stalling every record of its tasks. (A record a
            // punctuator forwarded has no source topic either, but is a record: dead-lettered below.)
            log.error("a punctuation of processor {} in task {} failed; it runs again at its next interval",
                    context.processorNodeId(), context.taskId(), exception);
            return ProcessingExceptionHandler.Response.resume();
        }
        String reason = reason(exception);
        log.warn("dead-lettering {}-{}@{} (processor {}) to {}: {}", context.topic(), context.partition(),
                context.offset(), context.processorNodeId(), deadLetterTopic, reason, exception);
        return ProcessingExceptionHandler.Response.resume(List.of(sourceDeadLetter(context, reason, exception)));
    }

    /**
     * A record a processor made from the source record cannot be written (a required field left empty, say): writing
     * it again would fail again and, failing the thread, stall the partition on the source record for good. So the
     * source record goes to the dead-letter topic with the reason, and the app goes on; the outputs of it written
     * before stay. The registry refusing or failing the schema is not the record's fault, every record of that
     * schema would fail alike: the task fails. A record a punctuator made has no source to set aside: it is logged
     * and dropped.
     */
    @Override
    public ProductionExceptionHandler.Response handleSerializationError(ErrorHandlerContext context,
                                                                        ProducerRecord record, Exception exception,
                                                                        SerializationExceptionOrigin origin) {
        if (anyCause(exception, t -> t instanceof SchemaRegistryException)) {
            log.error("cannot write the {} of a record to {}: the schema registry failed it; failing the task",
                    origin, record.topic(), exception);
            return ProductionExceptionHandler.Response.fail();
        }
        if (context.topic() == null) {
            // a punctuator made it: there is no source record to set aside, and it would fail again at every retry
            log.error("dropping a record that processor {} in task {} made at a punctuation: its {} cannot be written "
                    + "to {}", context.processorNodeId(), context.taskId(), origin, record.topic(), exception);
            return ProductionExceptionHandler.Response.resume();
        }
        String reason = reason(exception);
        log.warn("dead-lettering {}-{}@{} (processor {}) to {}: its output to {} cannot be written: {}", context.topic(),
                context.partition(), context.offset(), context.processorNodeId(), deadLetterTopic, record.topic(), reason,
                exception);
        return ProductionExceptionHandler.Response.resume(List.of(sourceDeadLetter(context, reason, exception)));
    }

    /**
     * A send the producer failed: as Kafka Streams' default handler, retried when the error is retriable (the task is
     * redone), else the task fails (under exactly-once its transaction is aborted and redone). Neither is the
     * record's fault to dead-letter.
     */
    @Override
    public ProductionExceptionHandler.Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                                           Exception exception) {
        return exception instanceof RetriableException ? ProductionExceptionHandler.Response.retry()
                : ProductionExceptionHandler.Response.fail();
    }

    /**
     * The source record of {@code context} as a dead letter. Kafka Streams releases its key and value once an output
     * of it has been written: the dead letter then says so, and where to read the record.
     */
    private ProducerRecord<byte[], byte[]> sourceDeadLetter(ErrorHandlerContext context, String reason,
                                                            Exception exception) {
        Headers headers = context.headers();
        if (context.sourceRawKey() == null && context.sourceRawValue() == null) {
            String omitted = context.topic() == null ? MADE_AT_PUNCTUATION : RELEASED;
            headers = new RecordHeaders(headers == null ? new Header[0] : headers.toArray()).add(DlqHeaders.OMITTED,
                    omitted.getBytes(StandardCharsets.UTF_8));
        }
        return deadLetter(context.sourceRawKey(), context.sourceRawValue(), headers, reason, exception,
                context.topic(), context.partition(), context.offset());
    }

    /**
     * The source record's own key and value bytes, with the {@link DlqHeaders} added to its headers; without them when
     * that would be over {@link DeadLetterLimit}.
     */
    private ProducerRecord<byte[], byte[]> deadLetter(byte[] key, byte[] value, Headers headers, String reason,
                                                      Exception exception, String topic, int partition, long offset) {
        DeadLetterLimit.Parts fitted = DeadLetterLimit.fitted(key, value, DlqHeaders.of(headers, reason,
                exception.getClass().getName(), topic, partition, offset, applicationId));
        return new ProducerRecord<>(deadLetterTopic, null, fitted.key(), fitted.value(), fitted.headers());
    }

    private static String reason(Exception exception) {
        return exception.getMessage() == null ? exception.getClass().getSimpleName() : exception.getMessage();
    }

    private static boolean notTheRecordsFault(Throwable exception) {
        return anyCause(exception, t -> t instanceof StreamsException || t instanceof KafkaException);
    }

    /** Whether {@code exception} or any of its causes passes {@code test}. */
    private static boolean anyCause(Throwable exception, Predicate<Throwable> test) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (test.test(t)) {
                return true;
            }
        }
        return false;
    }
}
