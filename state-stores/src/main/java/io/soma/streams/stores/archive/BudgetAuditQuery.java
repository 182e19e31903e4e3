package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

import static io.soma.streams.stores.archive.ArchiveRangeQuery.instant;

/**
 * Reads a tenant's archived budget audit over a time range, oldest first, page by page (keyset paging on
 * (timestamp, offset): a tenant's audits share a partition, see {@link KeysetPager#LOG_ORDER}), for
 * {@code GET /v1/budgets/{tenant}/audit}. Rows of one instant are common (a tenant's budgets reset together), so a
 * page ends at a row, not at a time.
 */
public final class BudgetAuditQuery {
    public static final int MAX_LIMIT = ArchiveRangeQuery.MAX_LIMIT;

    private final KeysetPager<BudgetAuditRow> pager;

    public BudgetAuditQuery(DataSource dataSource, String schema) {
        this.pager = new KeysetPager<>(dataSource, "event_id, tenant, budget_id, action, request_id, "
                + "\"timestamp\", period_start, period_end, tokens, usd, reason, kafka_topic, kafka_partition, "
                + "kafka_offset", SchemaMigrator.checkedSchemaName(schema) + ".budget_audit", "tenant", "\"timestamp\"",
                KeysetPager.LOG_ORDER, BudgetAuditQuery::row, r -> KeysetPager.Cursor.afterRecord(r.timestamp(), r.source()));
    }

    /** See {@link KeysetPager#page}. */
    public ArchivePage<BudgetAuditRow> page(String tenant, Instant from, Instant to, int limit, String cursor)
            throws SQLException {
        return pager.page(tenant, from, to, limit, cursor);
    }

    private static BudgetAuditRow row(ResultSet r) throws SQLException {
        return new BudgetAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                instant(r, 6), instant(r, 7), instant(r, 8), r.getObject(9, Long.class), r.getObject(10, Double.class),
                r.getString(11), new KafkaSource(r.getString(12), r.getInt(13), r.getLong(14)));
    }
}
