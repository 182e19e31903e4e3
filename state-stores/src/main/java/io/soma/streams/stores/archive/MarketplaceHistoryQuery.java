package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

import static io.soma.streams.stores.archive.ArchiveRangeQuery.instant;

/**
 * Reads a capsule's archived marketplace audit over a time range, newest first, for
 * {@code GET /v1/marketplace/capsules/{id}/history}: every transition and every refused submission or review, where the
 * catalog entry keeps only its latest transitions. {@code truncated} tells the caller to ask again up to the last row's
 * timestamp.
 */
public final class MarketplaceHistoryQuery {
    private final ArchiveRangeQuery<MarketplaceAuditRow> query;

    public MarketplaceHistoryQuery(DataSource dataSource, String schema) {
        this.query = new ArchiveRangeQuery<>(dataSource, "SELECT event_id, request_id, capsule_id, action, actor, "
                + "actor_tenant, from_status, to_status, version, notes, rejection, rejection_kind, \"timestamp\", "
                + "kafka_topic, kafka_partition, kafka_offset FROM " + SchemaMigrator.checkedSchemaName(schema)
                + ".marketplace_audit WHERE capsule_id = ? AND \"timestamp\" >= ? AND \"timestamp\" < ? "
                // a capsule's records share a partition: within a millisecond, the log's order
                + "ORDER BY \"timestamp\" DESC, kafka_partition, kafka_offset DESC LIMIT ?", MarketplaceHistoryQuery::row);
    }

    /**
     * @param from  inclusive
     * @param to    exclusive
     * @param limit 1..{@value ArchiveRangeQuery#MAX_LIMIT}
     * @throws IllegalArgumentException for a bad limit or an empty range (a 400 at the edge)
     */
    public ArchivePage<MarketplaceAuditRow> page(String capsuleId, Instant from, Instant to, int limit)
            throws SQLException {
        return query.page(capsuleId, from, to, limit);
    }

    private static MarketplaceAuditRow row(ResultSet r) throws SQLException {
        return new MarketplaceAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getString(7), r.getString(8), r.getString(9), r.getString(10), r.getString(11),
                r.getString(12), instant(r, 13), new KafkaSource(r.getString(14), r.getInt(15), r.getLong(16)));
    }
}
