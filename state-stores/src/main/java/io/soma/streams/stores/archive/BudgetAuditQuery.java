package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonProperty;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a tenant's archived budget audit over a time range, oldest first, for
 * {@code GET /v1/budgets/{tenant}/audit}. A budget's audit is a few rows per reservation at most, so one bounded
 * page is the answer; {@code truncated} tells the caller to ask again from the last row's timestamp.
 */
public final class BudgetAuditQuery {
    public static final int MAX_LIMIT = 1000;

    /** The rows of the range, at most the limit asked for; {@code truncated} when the range holds more. */
    public record Page(@JsonProperty("audit") List<BudgetAuditRow> rows,
                       @JsonProperty("truncated") boolean truncated) {
    }

    private final DataSource dataSource;
    private final String sql;

    public BudgetAuditQuery(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.sql = "SELECT event_id, tenant, budget_id, action, request_id, \"timestamp\", period_start, period_end, "
                + "tokens, usd, reason, kafka_topic, kafka_partition, kafka_offset FROM "
                + SchemaMigrator.checkedSchemaName(schema) + ".budget_audit WHERE tenant = ? AND \"timestamp\" >= ? "
                + "AND \"timestamp\" < ? ORDER BY \"timestamp\", event_id LIMIT ?";
    }

    /**
     * @param from  inclusive
     * @param to    exclusive
     * @param limit 1..{@value #MAX_LIMIT}
     * @throws IllegalArgumentException for a bad limit or an empty range (a 400 at the edge)
     */
    public Page page(String tenant, Instant from, Instant to, int limit) throws SQLException {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("from must be before to");
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, tenant);
            statement.setObject(2, from.atOffset(ZoneOffset.UTC));
            statement.setObject(3, to.atOffset(ZoneOffset.UTC));
            statement.setInt(4, limit + 1);
            List<BudgetAuditRow> rows = new ArrayList<>(limit + 1);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(row(result));
                }
            }
            return rows.size() <= limit ? new Page(rows, false) : new Page(List.copyOf(rows.subList(0, limit)), true);
        }
    }

    private static BudgetAuditRow row(ResultSet r) throws SQLException {
        return new BudgetAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                instant(r, 6), instant(r, 7), instant(r, 8), r.getObject(9, Long.class), r.getObject(10, Double.class),
                r.getString(11), new KafkaSource(r.getString(12), r.getInt(13), r.getLong(14)));
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime value = r.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
