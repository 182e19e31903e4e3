package io.soma.streams.edge.http;

import io.javalin.http.Context;
import io.soma.streams.stores.archive.ArchivePage;

import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Query parameters the archive routes share. */
public final class QueryParams {
    /** Rows of an archive page when the caller names no {@code limit}. */
    private static final int DEFAULT_LIMIT = 100;

    /** Reads one page of an archive range. */
    public interface RangeReader<R> {
        ArchivePage<R> read(Instant from, Instant to, int limit) throws SQLException;
    }

    private QueryParams() {
    }

    /**
     * Answers {@code {<keyName>: key, <rowsName>: [...], truncated}}: the page of {@code from} (default: the epoch),
     * {@code to} (default: now) and {@code limit} (default {@value #DEFAULT_LIMIT}). A range or limit the reader
     * refuses is a 400, an unreachable archive a 503.
     */
    public static <R> void answerArchivePage(Context ctx, String keyName, String key, String rowsName,
                                             RangeReader<R> reader) {
        Instant from = instant(ctx, "from", Instant.EPOCH);
        Instant to = instant(ctx, "to", Instant.now());
        int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(DEFAULT_LIMIT);
        ArchivePage<R> page;
        try {
            page = reader.read(from, to, limit);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (SQLException e) {
            throw ApiException.notReady("the audit archive (PostgreSQL) is unavailable");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(keyName, key);
        out.put(rowsName, page.rows());
        out.put("truncated", page.truncated());
        ctx.json(out);
    }

    /** The ISO-8601 instant {@code name}, {@code absent} when not given; anything else is a 400. */
    public static Instant instant(Context ctx, String name, Instant absent) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isBlank()) {
            return absent;
        }
        try {
            return Instant.parse(raw);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(name + " must be an ISO-8601 instant like 2026-11-23T08:00:00Z");
        }
    }
}
