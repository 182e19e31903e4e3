package io.soma.streams.stores.archive;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code marketplace_audit}: one per capsule submission or review command, a transition ({@code fromStatus}
 * → {@code toStatus}) or a refusal ({@code rejection}, {@code rejectionKind}); statuses in lower case.
 */
public record MarketplaceAuditRow(String eventId, String requestId, String capsuleId, String action, String actor,
                                  String actorTenant, String fromStatus, String toStatus, String version, String notes,
                                  String rejection, String rejectionKind, Instant timestamp, KafkaSource source)
        implements ArchiveRow {
    public MarketplaceAuditRow {
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(requestId, "request_id");
        Objects.requireNonNull(capsuleId, "capsule_id");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String id() {
        return eventId;
    }
}
