package io.soma.streams.edge.auth;

import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Writes each identity change to {@code identity.audit} and waits for the broker: no token leaves unaudited. */
public final class KafkaIdentityAuditSink implements IdentityAuditSink {
    private final Producer<String, SpecificRecord> producer;

    public KafkaIdentityAuditSink(Producer<String, SpecificRecord> producer) {
        this.producer = producer;
    }

    @Override
    public void record(IdentityEvent e) {
        IdentityAudit audit = IdentityAudit.newBuilder()
                .setEventId(e.eventId())
                .setAction(e.action())
                .setTenant(e.tenant())
                .setSubject(e.subject())
                .setActor(e.actor())
                .setJti(e.jti())
                .setKeyId(e.kid())
                .setCapabilities(e.capabilities())
                .setTimestamp(e.timestamp())
                .setDetails(Map.of())
                .build();
        try {
            producer.send(new ProducerRecord<>(Topics.IDENTITY_AUDIT.name(), e.tenant(), audit)).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the identity audit", ex);
        } catch (ExecutionException | TimeoutException ex) {
            throw new IllegalStateException("the identity audit could not be written to Kafka: " + ex.getMessage(), ex);
        }
    }
}
