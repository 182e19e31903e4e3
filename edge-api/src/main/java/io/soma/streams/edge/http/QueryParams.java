package io.soma.streams.edge.http;

import io.javalin.http.Context;
import io.soma.streams.stores.archive.ArchivePage;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Query parameters the archive routes share, and how their archive reads fail. */
public final class QueryParams {
    private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    /** Rows of an archive page when the caller names no {@code limit}. */
    private static final int DEFAULT_LIMIT = 100;

    /** The range an archive route is asked for: {@code from}, {@code to} and {@code limit}. */
    public record ArchiveRange(Instant from, Instant to, int limit) {
    }

    /** Reads what an archive route answers for a range. */
    @FunctionalInterface
    public interface ArchiveRead<T> {
        T read(ArchiveRange range) throws SQLException;
    }

    /** Reads one page of an archive range. */
    public interface RangeReader<R> {
        ArchivePage<R> read(Instant from, Instant to, int limit, String cursor) throws SQLException;
    }

    private QueryParams() {
    }

    /**
     * Before a matched route: a NUL (U+0000) in a path or query parameter is a 400. Those name tenants, capsules and
     * models that the archive looks up, and PostgreSQL text cannot hold one: the read would fail as if PostgreSQL
     * were down (503).
     */
    public static void refuseNul(Context ctx) {
        ctx.pathParamMap().forEach((name, value) -> {
            if (value.indexOf('\u0000') >= 0) {
                throw nulIn(name);
            }
        });
        // the raw query: Javalin decodes its parameters in the charset the Content-Type names, which may be none
        String query = ctx.queryString();
        if (query == null) {
            return;
        }
        for (String parameter : query.split("&")) {
            if (parameter.toLowerCase(Locale.ROOT).contains("%00") || parameter.indexOf('\u0000') >= 0) {
                int equals = parameter.indexOf('=');
                String name = equals < 0 ? parameter : parameter.substring(0, equals);
                try {
                    name = URLDecoder.decode(name, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformedEscape) {
                    // named as sent
                }
                throw nulIn(name);
            }
        }
    }

    private static ApiException nulIn(String parameter) {
        return ApiException.badRequest(parameter + " must not contain NUL (U+0000) characters");
    }

    /**
     * Answers {@code {<keyName>: key, <rowsName>: [...], truncated, next_cursor}}: the page {@link #readArchive} reads
     * from {@code cursor} (the previous page's {@code next_cursor}; the same range).
     */
    public static <R> void answerArchivePage(Context ctx, String keyName, String key, String rowsName,
                                             RangeReader<R> reader) {
        String cursor = ctx.queryParam("cursor");
        ArchivePage<R> page = readArchive(ctx, range -> reader.read(range.from(), range.to(), range.limit(), cursor));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(keyName, key);
        out.put(rowsName, page.rows());
        out.put("truncated", page.truncated());
        out.put("next_cursor", page.nextCursor());
        ctx.json(out);
    }

    /**
     * Reads the range of {@code from} (default: the epoch), {@code to} (default: now) and {@code limit} (default
     * {@value #DEFAULT_LIMIT}). A range, limit or cursor the reader refuses is a 400, an unreachable archive a 503.
     */
    public static <T> T readArchive(Context ctx, ArchiveRead<T> reader) {
        Instant from = instant(ctx, "from", Instant.EPOCH);
        Instant to = instant(ctx, "to", Instant.now());
        int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(DEFAULT_LIMIT);
        try {
            return reader.read(new ArchiveRange(from, to, limit));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (SQLException e) {
            throw archiveUnavailable();
        }
    }

    /** The 503 of an archive route whose PostgreSQL cannot be reached. */
    public static ApiException archiveUnavailable() {
        return ApiException.notReady("the audit archive (PostgreSQL) is unavailable");
    }

    /** The ISO-8601 instant {@code name}, {@code absent} when not given; anything else is a 400. */
    public static Instant instant(Context ctx, String name, Instant absent) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isBlank()) {
            return absent;
        }
        try {
            return withinYears(name, Instant.parse(raw));
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(name + " must be an ISO-8601 instant like 2026-11-23T08:00:00Z");
        }
    }

    /**
     * {@code time} when it lies in the years 0000 to 9999; a 400 otherwise. Further out, times overflow epoch
     * milliseconds or leave what PostgreSQL stores, which would answer 500 or an "unavailable" 503 to a bad request.
     */
    public static Instant withinYears(String name, Instant time) {
        if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
            throw ApiException.badRequest(name + " must lie in the years 0000 to 9999, got " + time);
        }
        return time;
    }
}
