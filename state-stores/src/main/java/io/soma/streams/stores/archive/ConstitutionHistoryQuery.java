package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

import static io.soma.streams.stores.archive.ArchiveRangeQuery.instant;

/**
 * Reads a scope's archived constitution verdicts over a time range, newest first, for
 * {@code GET /v1/constitution/history} and {@code GET /v1/constitution/{tenant}/history}: every version that became
 * active, and every bundle refused. {@code truncated} tells the caller to ask again up to the last row's timestamp.
 */
public final class ConstitutionHistoryQuery {
    public static final int MAX_LIMIT = ArchiveRangeQuery.MAX_LIMIT;

    private final ArchiveRangeQuery<ConstitutionAuditRow> query;

    public ConstitutionHistoryQuery(DataSource dataSource, String schema) {
        this.query = new ArchiveRangeQuery<>(dataSource, "SELECT event_id, scope, outcome, version, hash, key_id, "
                + "issued_at, \"timestamp\", reason, message, kafka_topic, kafka_partition, kafka_offset FROM "
                + SchemaMigrator.checkedSchemaName(schema) + ".constitution_audit WHERE scope = ? "
                + "AND \"timestamp\" >= ? AND \"timestamp\" < ? ORDER BY \"timestamp\" DESC, event_id DESC LIMIT ?",
                ConstitutionHistoryQuery::row);
    }

    /**
     * @param scope a tenant, or {@code global}
     * @param from  inclusive
     * @param to    exclusive
     * @param limit 1..{@value #MAX_LIMIT}
     * @throws IllegalArgumentException for a bad limit or an empty range (a 400 at the edge)
     */
    public ArchivePage<ConstitutionAuditRow> page(String scope, Instant from, Instant to, int limit)
            throws SQLException {
        return query.page(scope, from, to, limit);
    }

    private static ConstitutionAuditRow row(ResultSet r) throws SQLException {
        return new ConstitutionAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                r.getString(5), r.getString(6), instant(r, 7), instant(r, 8), r.getString(9), r.getString(10),
                new KafkaSource(r.getString(11), r.getInt(12), r.getLong(13)));
    }
}
