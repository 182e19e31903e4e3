package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code training_audit}: one per training command or expiry, written by the archiver and returned by
 * {@link TrainingAuditQuery}. The property names are the API's snake_case; {@code details} is the stored JSON object
 * (reason, previous_lock, rejection, current_lock), emitted as is.
 */
public record TrainingAuditRow(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("command_id") String commandId,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("action") String action,
        @JsonProperty("user") String user,
        @JsonProperty("timestamp") Instant timestamp,
        @JsonProperty("details") @JsonRawValue String detailsJson,
        @JsonProperty("source") KafkaSource source) implements ArchiveRow {
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
