package io.soma.streams.edge.auth;

/**
 * Where issue and revoke events go; in production a Kafka producer to {@code identity.audit}. {@link #record}
 * must return only once the event is durable (or throw): a token is handed out only after its audit is written.
 */
public interface IdentityAuditSink {
    void record(IdentityEvent event);
}
