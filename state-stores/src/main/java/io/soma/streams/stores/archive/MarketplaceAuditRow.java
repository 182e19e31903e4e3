package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code marketplace_audit}: one per capsule submission or review command, a transition ({@code fromStatus}
 * → {@code toStatus}) or a refusal ({@code rejection}, {@code rejectionKind}); statuses in lower case. Returned by
 * {@link MarketplaceHistoryQuery}; the property names are the API's snake_case.
 */
public record MarketplaceAuditRow(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("request_id") String requestId,
        @JsonProperty("capsule_id") String capsuleId,
        @JsonProperty("action") String action,
        @JsonProperty("actor") String actor,
        @JsonProperty("actor_tenant") String actorTenant,
        @JsonProperty("from_status") String fromStatus,
        @JsonProperty("to_status") String toStatus,
        @JsonProperty("version") String version,
        @JsonProperty("notes") String notes,
        @JsonProperty("rejection") String rejection,
        @JsonProperty("rejection_kind") String rejectionKind,
        @JsonProperty("timestamp") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant timestamp,
        @JsonProperty("source") KafkaSource source) implements ArchiveRow {
    public MarketplaceAuditRow {
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(capsuleId, "capsule_id");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(source, "source");
    }

    public MarketplaceAuditRow withActor(String other) {
        return new MarketplaceAuditRow(eventId, requestId, capsuleId, action, other, actorTenant, fromStatus, toStatus,
                version, notes, rejection, rejectionKind, timestamp, source);
    }

    @Override
    public String id() {
        return eventId;
    }
}
