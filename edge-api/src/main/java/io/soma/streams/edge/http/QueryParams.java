package io.soma.streams.edge.http;

import io.javalin.http.Context;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Query parameters the archive routes share. */
public final class QueryParams {
    private QueryParams() {
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
