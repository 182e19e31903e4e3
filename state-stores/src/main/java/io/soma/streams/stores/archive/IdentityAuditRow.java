package io.soma.streams.stores.archive;

import java.time.Instant;
import java.util.Objects;

/** A row of {@code identity_audit}: one per token issue or revoke; {@code detailsJson} is a JSON object. */
public record IdentityAuditRow(String eventId, String action, String tenant, String subject, String actor, String jti,
                               Instant timestamp, String detailsJson, KafkaSource source) implements ArchiveRow {
    public IdentityAuditRow {
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(detailsJson, "details");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String id() {
        return eventId;
    }
}
