package io.soma.streams.edge.auth;

import org.slf4j.LoggerFactory;

/**
 * Where issue and revoke events go; in production a Kafka producer to {@code identity.audit}. {@link #record}
 * must return only once the event is durable (or throw): a token is handed out only after its audit is written.
 */
public interface IdentityAuditSink {
    void record(IdentityEvent event);

    /**
     * Records {@code event} of a change whose answer (a new credential, shown once) has not left yet; when it cannot
     * be recorded, {@code undo} takes the change back before the failure goes on: an unaudited credential that
     * nobody was ever shown must not stay, and a retry makes it again with one that is.
     */
    default void recordOrUndo(IdentityEvent event, Runnable undo) {
        try {
            record(event);
        } catch (RuntimeException notAudited) {
            try {
                undo.run();
            } catch (RuntimeException notUndone) {
                notAudited.addSuppressed(notUndone);
                // the one case where a credential stays that nothing records: an operator must know
                LoggerFactory.getLogger(IdentityAuditSink.class).error("{} of tenant {}{} could not be audited nor "
                        + "undone: it stays unaudited", event.action(), event.tenant(),
                        event.apiKeyId() == null ? "" : " (API key " + event.apiKeyId() + ")", notUndone);
            }
            throw notAudited;
        }
    }
}
