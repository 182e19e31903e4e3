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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a tenant's archived decisions in time order, page by page, all or those of one outcome, for
 * {@code GET /v1/audit/decisions} (keyset paging on (evaluated_at, decision_id), see {@link KeysetPager}), and counts
 * them by outcome.
 */
public final class DecisionArchiveQuery {
    public static final int MAX_LIMIT = ArchiveRangeQuery.MAX_LIMIT;

    /** One page; {@code nextCursor} is null on the last page. */
    public record Page(@JsonProperty("decisions") List<PolicyDecisionRow> decisions,
                       @JsonProperty("next_cursor") String nextCursor) {
    }

    private static final String COLUMNS = "decision_id, event_id, session_id, tenant, \"user\", decision, allowed, "
            + "score, severity, violations::text, constitution_hash, constitution_version, rulepack_version, "
            + "evaluated_at, kafka_topic, kafka_partition, kafka_offset";

    private final DataSource dataSource;
    private final KeysetPager<PolicyDecisionRow> every;
    /** One outcome's: a statement of its own, on an index of its own (V6), not a filter the plan cannot index. */
    private final KeysetPager<PolicyDecisionRow> ofOutcome;
    private final String countSql;

    public DecisionArchiveQuery(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        String table = SchemaMigrator.checkedSchemaName(schema) + ".policy_decisions";
        this.every = pager(dataSource, table, null);
        this.ofOutcome = pager(dataSource, table, "decision = ?");
        this.countSql = "SELECT decision, count(*) FROM " + SchemaMigrator.checkedSchemaName(schema)
                + ".policy_decisions WHERE tenant = ? AND evaluated_at >= ? AND evaluated_at < ? GROUP BY decision";
    }

    /** How many of a tenant's decisions were evaluated in [from, to), by outcome */
    public Map<String, Long> countByDecision(String tenant, Instant from, Instant to) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(countSql)) {
            statement.setString(1, tenant);
            statement.setObject(2, from.atOffset(ZoneOffset.UTC));
            statement.setObject(3, to.atOffset(ZoneOffset.UTC));
            Map<String, Long> counts = new TreeMap<>();
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    counts.put(result.getString(1), result.getLong(2));
                }
            }
            return counts;
        }
    }

    /**
     * See {@link KeysetPager#page}; a cursor continues the pages of its own order and outcome.
     *
     * @param decision only the decisions of this outcome ({@code deny}…), or null for all
     */
    public Page page(String tenant, Instant from, Instant to, int limit, String cursor, PageOrder order,
                     String decision) throws SQLException {
        ArchivePage<PolicyDecisionRow> page = decision == null ? every.page(order, tenant, from, to, limit, cursor)
                : ofOutcome.page(order, tenant, from, to, limit, cursor, decision);
        return new Page(page.rows(), page.nextCursor());
    }

    private static KeysetPager<PolicyDecisionRow> pager(DataSource dataSource, String table, String rowFilter) {
        return new KeysetPager<>(dataSource, COLUMNS, table, "tenant", "evaluated_at", "decision_id",
                PageOrder.OLDEST_FIRST, rowFilter, DecisionArchiveQuery::row,
                r -> KeysetPager.Cursor.after(r.evaluatedAt(), r.decisionId()));
    }

    private static PolicyDecisionRow row(ResultSet r) throws SQLException {
        return new PolicyDecisionRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getBoolean(7), r.getDouble(8), r.getString(9), r.getString(10), r.getString(11),
                r.getString(12), r.getString(13), r.getObject(14, OffsetDateTime.class).toInstant(),
                new KafkaSource(r.getString(15), r.getInt(16), r.getLong(17)));
    }
}
