package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code budget_audit}, written by the archiver and returned by {@link BudgetAuditQuery}: a budget changed,
 * deleted or reset, or a reservation refused, expired or settled. The property names are the API's snake_case.
 */
public record BudgetAuditRow(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("budget_id") String budgetId,
        @JsonProperty("action") String action,
        @JsonProperty("request_id") String requestId,
        @JsonProperty("timestamp") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant timestamp,
        @JsonProperty("period_start") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant periodStart,
        @JsonProperty("period_end") @JsonFormat(shape = JsonFormat.Shape.STRING) Instant periodEnd,
        @JsonProperty("tokens") Long tokens,
        @JsonProperty("usd") Double usd,
        @JsonProperty("reason") String reason,
        @JsonProperty("source") KafkaSource source) implements ArchiveRow {

    public BudgetAuditRow {
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String id() {
        return eventId;
    }
}
