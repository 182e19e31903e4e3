package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads one key's rows (a tenant's, a scope's) of an archive table in time order, oldest or newest first, page by
 * page, for the {@code GET /v1/audit/…} routes, a tenant's budget audit and a constitution's history.
 * Keyset pagination on (time, id): a page costs the same however deep it is, and rows archived meanwhile never shift
 * or repeat the pages already read. The cursor is opaque to callers.
 *
 * @param <R> the row type
 */
final class KeysetPager<R> {
    /** The position after a row: its time (microseconds, PostgreSQL's precision) and id. */
    record Cursor(long timeMicros, String id) {
        String encode() {
            String text = timeMicros + ":" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String cursor) {
            try {
                String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                int colon = text.indexOf(':');
                String id = text.substring(colon + 1);
                if (id.indexOf('\u0000') >= 0) {
                    // no id holds one (PostgreSQL text cannot): the query would fail as if the archive were down
                    throw new IllegalArgumentException("malformed cursor: its id holds a NUL character");
                }
                return new Cursor(Long.parseLong(text.substring(0, colon)), id);
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("malformed cursor", e);
            }
        }

        static Cursor after(Instant time, String id) {
            return new Cursor(ChronoUnit.MICROS.between(Instant.EPOCH, time), id);
        }

        /** The position after a row that {@link #LOG_ORDER} orders. */
        static Cursor afterRecord(Instant time, KafkaSource source) {
            return after(time, "%020d".formatted(source.offset()));
        }

        Instant time() {
            return Instant.EPOCH.plus(timeMicros, ChronoUnit.MICROS);
        }
    }

    /**
     * The id of rows whose key's records share a partition (keyed by it), for rows of one time: an app stamps
     * several records of one command with one instant (an expiry, then the command that found it), and a random
     * event id would show them in either order. The offset, zero-padded to sort as text, orders them as they were
     * written and is unique among them.
     */
    static final String LOG_ORDER = "lpad(kafka_offset::text, 20, '0')";
    private static final Pattern OFFSET_ID = Pattern.compile("\\d{20}");

    private final DataSource dataSource;
    /** A page's statement in each order: they differ only in the direction of the comparison and the sort. */
    private final Map<PageOrder, String> sql = new EnumMap<>(PageOrder.class);
    /** How many values a page binds into the row filter: its {@code ?}s. */
    private final int filterParameters;
    /** The order of {@link #page(String, Instant, Instant, int, String, Object...)}. */
    private final PageOrder order;
    /** Whether the id is {@link #LOG_ORDER}'s padded offset: a cursor holding another id is not one of its pages'. */
    private final boolean offsetIds;
    private final ArchiveRangeQuery.RowReader<R> reader;
    private final Function<R, Cursor> position;

    /**
     * @param columns    the selected columns, as {@code reader} reads them
     * @param table      the table, qualified by its checked schema
     * @param keyColumn  the column that names whose rows a page reads
     * @param timeColumn the row's time, a TIMESTAMPTZ
     * @param idColumn   the row's unique id (a text column or expression), to order rows of the same time
     * @param position   the cursor just after a row (its time and id)
     */
    KeysetPager(DataSource dataSource, String columns, String table, String keyColumn, String timeColumn,
                String idColumn, ArchiveRangeQuery.RowReader<R> reader, Function<R, Cursor> position) {
        this(dataSource, columns, table, keyColumn, timeColumn, idColumn, PageOrder.OLDEST_FIRST, null, reader, position);
    }

    /**
     * @param rowFilter which of the key's rows a page may hold, a SQL condition whose {@code ?}s
     *                  {@link #page(String, Instant, Instant, int, String, Object...)} binds; null: every row
     */
    KeysetPager(DataSource dataSource, String columns, String table, String keyColumn, String timeColumn,
                String idColumn, PageOrder order, String rowFilter, ArchiveRangeQuery.RowReader<R> reader,
                Function<R, Cursor> position) {
        this.dataSource = dataSource;
        for (PageOrder each : PageOrder.values()) {
            boolean newestFirst = each == PageOrder.NEWEST_FIRST;
            String direction = newestFirst ? " DESC" : "";
            sql.put(each, "SELECT " + columns + " FROM " + table + " WHERE " + keyColumn + " = ? AND " + timeColumn
                    + " >= ? AND " + timeColumn + " < ? AND (" + timeColumn + ", " + idColumn + ") "
                    + (newestFirst ? "<" : ">") + " (?, ?)" + (rowFilter == null ? "" : " AND (" + rowFilter + ")")
                    + " ORDER BY " + timeColumn + direction + ", " + idColumn + direction + " LIMIT ?");
        }
        this.filterParameters = rowFilter == null ? 0 : (int) rowFilter.chars().filter(c -> c == '?').count();
        this.offsetIds = LOG_ORDER.equals(idColumn);
        this.order = order;
        this.reader = reader;
        this.position = position;
    }

    /**
     * @param from   inclusive
     * @param to     exclusive
     * @param limit  1..{@value ArchiveRangeQuery#MAX_LIMIT}
     * @param cursor null for the first page, else the {@code nextCursor} of the previous page (same key, from, to)
     * @param filterValues the values of the row filter's {@code ?}s, in order
     * @throws IllegalArgumentException for a bad limit, an empty range or a malformed cursor (a 400 at the edge)
     */
    ArchivePage<R> page(String key, Instant from, Instant to, int limit, String cursor, Object... filterValues)
            throws SQLException {
        return page(order, key, from, to, limit, cursor, filterValues);
    }

    /** As {@link #page(String, Instant, Instant, int, String, Object...)}, in {@code order}. */
    ArchivePage<R> page(PageOrder order, String key, Instant from, Instant to, int limit, String cursor,
                        Object... filterValues) throws SQLException {
        if (filterValues.length != filterParameters) {
            // a caller's bug, not a request's: a 500, before any SQL runs
            throw new IllegalStateException("the row filter takes " + filterParameters + " values, got "
                    + filterValues.length);
        }
        ArchiveRangeQuery.checkPage(limit, from, to);
        // no cursor: start just before "from", under every id (newest first: at "to", which no row reaches)
        Cursor after = cursor == null ? null : Cursor.decode(cursor);
        if (after != null && offsetIds && !OFFSET_ID.matcher(after.id()).matches()) {
            // one made before these rows were ordered by offset (an event id) would compare as text with the offsets,
            // and the next page would skip or repeat the rows of its instant
            throw new IllegalArgumentException("malformed cursor: not a position of these pages; start again without it");
        }
        // cursors hold microseconds, PostgreSQL's precision
        if (after != null && (after.time().isBefore(from.truncatedTo(ChronoUnit.MICROS)) || after.time().isAfter(to))) {
            // a cursor this range's pages gave lies in it; another one is forged or from another range
            throw new IllegalArgumentException("malformed cursor: not a position in [" + from + ", " + to + ")");
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql.get(order))) {
            ArchiveRangeQuery.bindRange(statement, key, from, to);
            Instant start = order == PageOrder.NEWEST_FIRST ? to : from;
            statement.setObject(4, (after == null ? start : after.time()).atOffset(ZoneOffset.UTC));
            statement.setString(5, after == null ? "" : after.id());
            int next = 6;
            for (Object value : filterValues) {
                statement.setObject(next++, value);
            }
            statement.setInt(next, limit + 1);
            List<R> rows = ArchiveRangeQuery.readAll(statement, reader);
            if (rows.size() <= limit) {
                return new ArchivePage<>(rows, null);
            }
            List<R> page = List.copyOf(rows.subList(0, limit));
            return new ArchivePage<>(page, position.apply(page.get(limit - 1)).encode());
        }
    }
}
