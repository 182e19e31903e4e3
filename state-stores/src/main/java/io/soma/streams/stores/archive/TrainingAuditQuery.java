package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonProperty;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * Reads a tenant's archived training audit (enables, disables, expiries, rejections) in time order, page by page,
 * for {@code GET /v1/audit/training} (keyset paging on (timestamp, offset): a tenant's audits share a partition, see
 * {@link KeysetPager#LOG_ORDER}).
 */
public final class TrainingAuditQuery {
    /** One page; {@code nextCursor} is null on the last page. */
    public record Page(@JsonProperty("audit") List<TrainingAuditRow> audit,
                       @JsonProperty("next_cursor") String nextCursor) {
    }

    private final KeysetPager<TrainingAuditRow> pager;

    public TrainingAuditQuery(DataSource dataSource, String schema) {
        this.pager = new KeysetPager<>(dataSource, "event_id, command_id, tenant, action, \"user\", \"timestamp\", "
                + "details::text, kafka_topic, kafka_partition, kafka_offset",
                SchemaMigrator.checkedSchemaName(schema) + ".training_audit", "tenant", "\"timestamp\"", KeysetPager.LOG_ORDER,
                TrainingAuditQuery::row, r -> KeysetPager.Cursor.afterRecord(r.timestamp(), r.source()));
    }

    /** See {@link KeysetPager#page}; a cursor continues the pages of its own order. */
    public Page page(String tenant, Instant from, Instant to, int limit, String cursor, PageOrder order)
            throws SQLException {
        ArchivePage<TrainingAuditRow> page = pager.page(order, tenant, from, to, limit, cursor);
        return new Page(page.rows(), page.nextCursor());
    }

    private static TrainingAuditRow row(ResultSet r) throws SQLException {
        return new TrainingAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getObject(6, OffsetDateTime.class).toInstant(), r.getString(7),
                new KafkaSource(r.getString(8), r.getInt(9), r.getLong(10)));
    }
}
