package io.soma.streams.edge.kafka;

import io.soma.streams.edge.http.ApiException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishing from an HTTP request: Kafka not taking a record is the platform not being ready (503 with the reason),
 * never a server error. A record Kafka has not acknowledged in time may still be delivered, because the producer
 * keeps retrying it for its {@code delivery.timeout.ms}; the answer says so, so that a caller checks before it
 * retries.
 */
public final class KafkaPublish {
    private KafkaPublish() {
    }

    /** Sends {@code record} and waits up to {@code timeout} for Kafka's acknowledgement; {@code what} names it. */
    public static <K, V> RecordMetadata acknowledged(Producer<K, V> producer, ProducerRecord<K, V> record,
                                                     Duration timeout, String what) {
        Future<RecordMetadata> sent;
        try {
            sent = producer.send(record);
        } catch (KafkaException e) {
            // no metadata for the topic within max.block.ms, or the record cannot be serialized or sent at all
            throw ApiException.notReady("Kafka did not take " + what + ": " + e.getMessage());
        }
        try {
            return sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw ApiException.notReady("Kafka did not take " + what + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw ApiException.notReady("Kafka did not acknowledge " + what + " within " + timeout.toMillis()
                    + " ms; the producer still retries it for a while, so it may yet be applied: check before "
                    + "you retry");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.notReady("interrupted while publishing " + what);
        }
    }
}
