package io.soma.streams.stores.archive;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * What every archive page shares ({@link KeysetPager} and the queries built on it): the limit and range checks, the
 * binding of the key and the range, reading rows and their times.
 */
final class ArchiveRangeQuery {
    static final int MAX_LIMIT = 1000;

    interface RowReader<R> {
        R read(ResultSet row) throws SQLException;
    }

    private ArchiveRangeQuery() {
    }

    /** The checks of every archive page: a failure is a 400 at the edge. */
    static void checkPage(int limit, Instant from, Instant to) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("from must be before to");
        }
    }

    /** Binds the key, {@code from} and {@code to} as parameters 1 to 3. */
    static void bindRange(PreparedStatement statement, String key, Instant from, Instant to) throws SQLException {
        statement.setString(1, key);
        statement.setObject(2, from.atOffset(ZoneOffset.UTC));
        statement.setObject(3, to.atOffset(ZoneOffset.UTC));
    }

    static <R> List<R> readAll(PreparedStatement statement, RowReader<R> reader) throws SQLException {
        List<R> rows = new ArrayList<>();
        try (ResultSet result = statement.executeQuery()) {
            while (result.next()) {
                rows.add(reader.read(result));
            }
        }
        return rows;
    }

    static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime value = r.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
