package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code constitution_audit}, written by the archiver and returned by {@link ConstitutionHistoryQuery}: a
 * bundle the policy app's gate activated or refused. The property names are the API's snake_case.
 */
public record ConstitutionAuditRow(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("scope") String scope,
        @JsonProperty("outcome") String outcome,
        @JsonProperty("version") String version,
        @JsonProperty("hash") String hash,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("issued_at") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant issuedAt,
        @JsonProperty("timestamp") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant timestamp,
        @JsonProperty("reason") String reason,
        @JsonProperty("message") String message,
        @JsonProperty("source") KafkaSource source) implements ArchiveRow {

    public ConstitutionAuditRow {
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String id() {
        return eventId;
    }
}
