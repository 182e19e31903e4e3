package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonProperty;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a tenant's archived decisions in time order, page by page, for {@code GET /v1/audit/decisions}.
 * Keyset pagination on (evaluated_at, decision_id): a page costs the same however deep it is, and rows archived
 * meanwhile never shift or repeat the pages already read. The cursor is opaque to callers.
 */
public final class DecisionArchiveQuery {
    public static final int MAX_LIMIT = 1000;

    /** One page; {@code nextCursor} is null on the last page. */
    public record Page(@JsonProperty("decisions") List<PolicyDecisionRow> decisions,
                       @JsonProperty("next_cursor") String nextCursor) {
    }

    /** The position after a row: its evaluated_at (microseconds, PostgreSQL's precision) and decision id. */
    record Cursor(long evaluatedAtMicros, String decisionId) {
        String encode() {
            String text = evaluatedAtMicros + ":" + decisionId;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String cursor) {
            try {
                String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                int colon = text.indexOf(':');
                return new Cursor(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("malformed cursor", e);
            }
        }

        Instant evaluatedAt() {
            return Instant.EPOCH.plus(evaluatedAtMicros, ChronoUnit.MICROS);
        }
    }

    private final DataSource dataSource;
    private final String sql;
    private final String countSql;

    public DecisionArchiveQuery(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.sql = "SELECT decision_id, event_id, session_id, tenant, \"user\", decision, allowed, score, severity, "
                + "violations::text, constitution_hash, constitution_version, rulepack_version, evaluated_at, "
                + "kafka_topic, kafka_partition, kafka_offset FROM " + SchemaMigrator.checkedSchemaName(schema)
                + ".policy_decisions WHERE tenant = ? AND evaluated_at >= ? AND evaluated_at < ? "
                + "AND (evaluated_at, decision_id) > (?, ?) ORDER BY evaluated_at, decision_id LIMIT ?";
        this.countSql = "SELECT decision, count(*) FROM " + SchemaMigrator.checkedSchemaName(schema)
                + ".policy_decisions WHERE tenant = ? AND evaluated_at >= ? AND evaluated_at < ? GROUP BY decision";
    }

    /** How many of a tenant's decisions were evaluated in [from, to), by outcome */
    public Map<String, Long> countByDecision(String tenant, Instant from, Instant to) throws SQLException {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(countSql)) {
            statement.setString(1, tenant);
            statement.setObject(2, utc(from));
            statement.setObject(3, utc(to));
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
     * @param from   inclusive
     * @param to     exclusive
     * @param limit  1..{@value #MAX_LIMIT}
     * @param cursor null for the first page, else the {@code nextCursor} of the previous page (same tenant, from, to)
     * @throws IllegalArgumentException for a bad limit, an empty range or a malformed cursor (a 400 at the edge)
     */
    public Page page(String tenant, Instant from, Instant to, int limit, String cursor) throws SQLException {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("from must be before to");
        }
        // no cursor: start just before "from", under every decision id
        Cursor after = cursor == null ? null : Cursor.decode(cursor);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, tenant);
            statement.setObject(2, utc(from));
            statement.setObject(3, utc(to));
            statement.setObject(4, utc(after == null ? from : after.evaluatedAt()));
            statement.setString(5, after == null ? "" : after.decisionId());
            statement.setInt(6, limit + 1);
            List<PolicyDecisionRow> rows = new ArrayList<>(limit + 1);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(row(result));
                }
            }
            if (rows.size() <= limit) {
                return new Page(rows, null);
            }
            List<PolicyDecisionRow> page = List.copyOf(rows.subList(0, limit));
            PolicyDecisionRow last = page.get(limit - 1);
            return new Page(page, new Cursor(ChronoUnit.MICROS.between(Instant.EPOCH, last.evaluatedAt()),
                    last.decisionId()).encode());
        }
    }

    private static PolicyDecisionRow row(ResultSet r) throws SQLException {
        return new PolicyDecisionRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getBoolean(7), r.getDouble(8), r.getString(9), r.getString(10), r.getString(11),
                r.getString(12), r.getString(13), r.getObject(14, OffsetDateTime.class).toInstant(),
                new KafkaSource(r.getString(15), r.getInt(16), r.getLong(17)));
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
