package io.soma.streams.reliability;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

/** Reads what the audit archive holds for this run's events, straight from PostgreSQL. */
final class ArchiveReader {
    /** Rows and distinct decision ids (equal unless the primary key failed), -1 while PostgreSQL is down. */
    record Rows(long rows, Set<String> decisionIds) {
    }

    private final String jdbcUrl;
    private final String schema;
    private final String runId;

    ArchiveReader(String jdbcUrl, String schema, String runId) {
        this.jdbcUrl = jdbcUrl;
        this.schema = schema;
        this.runId = runId;
    }

    Rows read() {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
             PreparedStatement s = c.prepareStatement(
                     "SELECT decision_id FROM " + schema + ".policy_decisions WHERE event_id LIKE ?")) {
            s.setString(1, runId + "-%");
            Set<String> ids = new HashSet<>();
            long rows = 0;
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getString(1));
                    rows++;
                }
            }
            return new Rows(rows, ids);
        } catch (SQLException e) {
            return new Rows(-1, Set.of());
        }
    }

    /**
     * Waits until the archive holds {@code expected} decisions, or until it gained none for {@code stall}, and
     * returns what it holds.
     */
    Rows awaitRows(int expected, java.time.Duration stall) {
        return Drill.awaitUnlessStalled(this::read, rows -> rows.decisionIds().size() >= expected,
                rows -> rows.decisionIds().size(), stall, 500);
    }
}
