package io.soma.streams.edge.auth;

import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.edge.kafka.KafkaPublish;
import io.soma.streams.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.HashMap;
import java.util.Map;

/**
 * Writes each identity change to {@code identity.audit} and waits for the broker: no token leaves unaudited. When
 * Kafka does not take the audit the caller gets 503 ({@link KafkaPublish}).
 */
public final class KafkaIdentityAuditSink implements IdentityAuditSink {
    private final Producer<String, SpecificRecord> producer;

    public KafkaIdentityAuditSink(Producer<String, SpecificRecord> producer) {
        this.producer = producer;
    }

    @Override
    public void record(IdentityEvent e) {
        Map<String, String> details = new HashMap<>();
        // the actor's own tenant: the record's tenant is the one acted on (unknown for a revocation entry restored
        // without it)
        if (e.actorTenant() != null) {
            details.put("actor_tenant", e.actorTenant());
        }
        if (e.apiKeyId() != null) {
            details.put("api_key_id", e.apiKeyId());
        }
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
                .setDetails(details)
                .build();
        KafkaPublish.acknowledged(producer, new ProducerRecord<>(Topics.IDENTITY_AUDIT.name(), e.tenant(), audit),
                KafkaPublish.TIMEOUT, "the identity audit " + e.eventId(), Map.of("event_id", e.eventId()));
    }
}
