package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

import static io.soma.streams.stores.archive.ArchiveRangeQuery.instant;

/**
 * Reads a scope's archived constitution verdicts over a time range, newest first, page by page (keyset paging on
 * (timestamp, offset): a scope's verdicts share a partition, see {@link KeysetPager#LOG_ORDER}), for
 * {@code GET /v1/constitution/history} and {@code GET /v1/constitution/{tenant}/history}: every version that became active, and every bundle refused.
 */
public final class ConstitutionHistoryQuery {
    public static final int MAX_LIMIT = ArchiveRangeQuery.MAX_LIMIT;

    private final KeysetPager<ConstitutionAuditRow> pager;

    public ConstitutionHistoryQuery(DataSource dataSource, String schema) {
        this.pager = new KeysetPager<>(dataSource, "event_id, scope, outcome, version, hash, key_id, issued_at, "
                + "\"timestamp\", reason, message, kafka_topic, kafka_partition, kafka_offset",
                SchemaMigrator.checkedSchemaName(schema) + ".constitution_audit", "scope", "\"timestamp\"",
                KeysetPager.LOG_ORDER, PageOrder.NEWEST_FIRST, null, ConstitutionHistoryQuery::row,
                r -> KeysetPager.Cursor.afterRecord(r.timestamp(), r.source()));
    }

    /**
     * @param scope a tenant, or {@code global}
     * @see KeysetPager#page
     */
    public ArchivePage<ConstitutionAuditRow> page(String scope, Instant from, Instant to, int limit, String cursor)
            throws SQLException {
        return pager.page(scope, from, to, limit, cursor);
    }

    private static ConstitutionAuditRow row(ResultSet r) throws SQLException {
        return new ConstitutionAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                r.getString(5), r.getString(6), instant(r, 7), instant(r, 8), r.getString(9), r.getString(10),
                new KafkaSource(r.getString(11), r.getInt(12), r.getLong(13)));
    }
}
