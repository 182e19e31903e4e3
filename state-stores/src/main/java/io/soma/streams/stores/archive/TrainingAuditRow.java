package io.soma.streams.stores.archive;

import java.time.Instant;
import java.util.Objects;

/** A row of {@code training_audit}: one per training command or expiry; {@code detailsJson} is a JSON object. */
public record TrainingAuditRow(String eventId, String commandId, String tenant, String action, String user,
                               Instant timestamp, String detailsJson, KafkaSource source) implements ArchiveRow {
    public TrainingAuditRow {
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(tenant, "tenant");
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
