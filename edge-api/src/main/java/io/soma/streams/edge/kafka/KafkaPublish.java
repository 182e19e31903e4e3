package io.soma.streams.edge.kafka;

import io.soma.streams.edge.http.ApiException;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishing from an HTTP request. Kafka failing in a way that passes (a timeout, no leader, too few replicas) is the
 * platform not being ready: 503 with the reason. A record Kafka has not acknowledged in time may still be delivered,
 * because the producer keeps retrying it for its {@code delivery.timeout.ms}; so may one the producer gave up on once
 * it was in a batch, which may have been sent (the producer cannot tell). The answer says so, so that a caller checks
 * before it retries. A record whose schema the registry could not be reached to resolve is 503 too (nothing was
 * published). A record too large for Kafka is 413; any other refusal is a server error (500). Each is a
 * {@link NotTaken}; a caller that holds something for the record (a budget reservation) lets go of it unless the
 * record {@link NotTaken#mayStillArrive may still arrive}.
 */
public final class KafkaPublish {
    /** How long a request waits for Kafka's acknowledgement of what it publishes. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(KafkaPublish.class);

    private KafkaPublish() {
    }

    /** Kafka did not take the record, or did not say so in time. */
    public static final class NotTaken extends ApiException {
        private final boolean mayStillArrive;

        NotTaken(int status, String error, String message, Map<String, Object> details, boolean mayStillArrive) {
            super(status, error, message, details);
            this.mayStillArrive = mayStillArrive;
        }

        /**
         * True when the record may yet be delivered, and processed: Kafka did not answer in time and the producer
         * still retries it, or the producer gave up on a batch a broker may have appended. False when no broker
         * can have it: nothing downstream will answer for it.
         */
        public boolean mayStillArrive() {
            return mayStillArrive;
        }
    }

    /**
     * Sends {@code record} and waits up to {@code timeout} for Kafka's acknowledgement.
     *
     * @param what    names the record in the error message
     * @param details added to the error's details (the ids a caller needs to check what happened)
     */
    public static <K, V> RecordMetadata acknowledged(Producer<K, V> producer, ProducerRecord<K, V> record,
                                                     Duration timeout, String what, Map<String, Object> details) {
        Future<RecordMetadata> sent;
        try {
            sent = producer.send(record);
        } catch (KafkaException e) {
            // thrown by send itself, e.g. the record cannot be serialized
            throw refused(what, e, details, false);
        }
        // a send that failed before it returned never joined a batch (no metadata for the topic in time): it cannot
        // arrive. One that failed later was in a batch, which may have been sent and appended before the producer
        // gave up: its own message says the request may not have been sent, or its response not received
        boolean batched = !sent.isDone();
        try {
            return sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw refused(what, e.getCause(), details, batched);
        } catch (TimeoutException e) {
            throw new NotTaken(503, "not_ready", "Kafka did not acknowledge " + what + " within "
                    + timeout.toMillis() + " ms; the producer still retries it for a while, so it may yet be applied:"
                    + " check before you retry", details, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotTaken(503, "not_ready", "interrupted while publishing " + what, details, true);
        }
    }

    /**
     * @param batched whether the record was in a batch, which the producer may have sent: a failure that may pass
     *                (a delivery timeout, a lost connection) does not say that no broker appended it
     */
    private static NotTaken refused(String what, Throwable cause, Map<String, Object> details, boolean batched) {
        if (SchemaRegistryException.unavailableIn(cause)) {
            // a first record of its schema is serialized only once the registry has its id: the platform not being
            // ready, not a server error. The cause names the registry's address, which is for the log only.
            log.warn("cannot publish {}: the schema registry is unavailable: {}", what, cause.toString());
            return new NotTaken(503, "not_ready", "the schema registry could not be reached to write " + what
                    + "; nothing was published: try again", details, false);
        }
        String message = "Kafka did not take " + what + ": " + cause.getMessage();
        if (cause instanceof RetriableException) {
            return batched
                    ? new NotTaken(503, "not_ready", message + "; a broker may have written it before the producer"
                    + " gave up, so it may yet be applied: check before you retry", details, true)
                    : new NotTaken(503, "not_ready", message, details, false);
        }
        if (cause instanceof RecordTooLargeException) {
            return new NotTaken(413, "payload_too_large", message, details, false);
        }
        log.error("Kafka refused {} for good", what, cause);
        // its message may name internals a client has no business with (a serializer's registry address and subject)
        return new NotTaken(500, "internal", "Kafka did not take " + what + " (" + cause.getClass().getSimpleName()
                + "; the reason is in this server's log); nothing was published", details, false);
    }
}
