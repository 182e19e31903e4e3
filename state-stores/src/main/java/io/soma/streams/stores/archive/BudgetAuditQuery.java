package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

import static io.soma.streams.stores.archive.ArchiveRangeQuery.instant;

/**
 * Reads a tenant's archived budget audit over a time range, oldest first, for
 * {@code GET /v1/budgets/{tenant}/audit}. A budget's audit is a few rows per reservation at most, so one bounded
 * page is the answer; {@code truncated} tells the caller to ask again from the last row's timestamp.
 */
public final class BudgetAuditQuery {
    public static final int MAX_LIMIT = ArchiveRangeQuery.MAX_LIMIT;

    private final ArchiveRangeQuery<BudgetAuditRow> query;

    public BudgetAuditQuery(DataSource dataSource, String schema) {
        this.query = new ArchiveRangeQuery<>(dataSource, "SELECT event_id, tenant, budget_id, action, request_id, "
                + "\"timestamp\", period_start, period_end, tokens, usd, reason, kafka_topic, kafka_partition, "
                + "kafka_offset FROM " + SchemaMigrator.checkedSchemaName(schema) + ".budget_audit WHERE tenant = ? "
                + "AND \"timestamp\" >= ? AND \"timestamp\" < ? ORDER BY \"timestamp\", event_id LIMIT ?",
                BudgetAuditQuery::row);
    }

    /**
     * @param from  inclusive
     * @param to    exclusive
     * @param limit 1..{@value #MAX_LIMIT}
     * @throws IllegalArgumentException for a bad limit or an empty range (a 400 at the edge)
     */
    public ArchivePage<BudgetAuditRow> page(String tenant, Instant from, Instant to, int limit) throws SQLException {
        return query.page(tenant, from, to, limit);
    }

    private static BudgetAuditRow row(ResultSet r) throws SQLException {
        return new BudgetAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                instant(r, 6), instant(r, 7), instant(r, 8), r.getObject(9, Long.class), r.getObject(10, Double.class),
                r.getString(11), new KafkaSource(r.getString(12), r.getInt(13), r.getLong(14)));
    }
}
