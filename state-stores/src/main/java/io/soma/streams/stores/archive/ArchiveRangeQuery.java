package io.soma.streams.stores.archive;

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
 * One bounded page of an archive table's rows for one key (a tenant, a scope) over a time range: the checks of the
 * limit and the range, and the one extra row read that tells whether the range holds more. The statement binds the
 * key, {@code from} (inclusive), {@code to} (exclusive) and the row limit, in that order.
 */
final class ArchiveRangeQuery<R> {
    static final int MAX_LIMIT = 1000;

    interface RowReader<R> {
        R read(ResultSet row) throws SQLException;
    }

    private final DataSource dataSource;
    private final String sql;
    private final RowReader<R> reader;

    ArchiveRangeQuery(DataSource dataSource, String sql, RowReader<R> reader) {
        this.dataSource = dataSource;
        this.sql = sql;
        this.reader = reader;
    }

    /**
     * @param limit 1..{@value #MAX_LIMIT}
     * @throws IllegalArgumentException for a bad limit or an empty range (a 400 at the edge)
     */
    ArchivePage<R> page(String key, Instant from, Instant to, int limit) throws SQLException {
        checkPage(limit, from, to);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            bindRange(statement, key, from, to);
            statement.setInt(4, limit + 1);
            List<R> rows = readAll(statement, reader);
            return rows.size() <= limit ? new ArchivePage<>(rows, false)
                    : new ArchivePage<>(List.copyOf(rows.subList(0, limit)), true);
        }
    }

    /** The checks of every archive page, this one's and {@link KeysetPager}'s: a failure is a 400 at the edge. */
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
