package io.soma.streams.edge.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.stores.query.StoreQueryService.QueryResult;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

import java.time.Instant;
import java.util.function.Supplier;

/**
 * Turns store lookups into HTTP answers: the peer route that other instances forward to, and the helper
 * public handlers use (found → the value, missing → 404, nobody can answer yet → 503).
 */
public final class StoreLookups {
    private final StoreQueryService queries;

    public StoreLookups(StoreQueryService queries) {
        this.queries = queries;
    }

    /** {@code GET /internal/stores/{store}/keys/{key}}: answered from this instance's own stores only. */
    public void peerLookup(Context ctx) {
        answerLocally(ctx, () -> queries.localLookup(ctx.pathParam("store"), ctx.pathParam("key")),
                "no value for key " + ctx.pathParam("key"));
    }

    /** {@code GET /internal/stores/{store}/windows/{key}?from=&to=} (epoch ms): this instance's windows of the key. */
    public void peerWindows(Context ctx) {
        Instant from = epochMillis(ctx, "from");
        Instant to = epochMillis(ctx, "to");
        answerLocally(ctx, () -> queries.localWindows(ctx.pathParam("store"), ctx.pathParam("key"), from, to),
                "no windows");
    }

    /** {@code GET /internal/stores/{store}/groups/{group}}: this instance's entries of the group. */
    public void peerGroup(Context ctx) {
        answerLocally(ctx, () -> queries.localGroup(ctx.pathParam("store"), ctx.pathParam("group")),
                "no entries in group " + ctx.pathParam("group"));
    }

    private static void answerLocally(Context ctx, Supplier<QueryResult> local, String missing) {
        QueryResult result;
        try {
            result = local.get();
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound(e.getMessage());
        } catch (InvalidStateStoreException e) {
            throw ApiException.notReady("this instance does not hold that key now: " + e.getMessage());
        }
        ctx.json(valueOf(result, missing));
    }

    private static Instant epochMillis(Context ctx, String name) {
        String value = ctx.queryParam(name);
        try {
            return Instant.ofEpochMilli(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " must be epoch milliseconds, got '" + value + "'");
        }
    }

    /** The windows of {@code key} starting in [{@code from}, {@code to}) wherever it lives (a JSON array), or 503. */
    public JsonNode requireWindows(Context ctx, String store, String key, Instant from, Instant to) {
        return valueOf(queries.lookupWindows(store, key, from, to, ctx.header("Authorization")), "no windows");
    }

    /** Every entry of {@code group} in a grouped store wherever it lives (a JSON array), or the matching API error. */
    public JsonNode requireGroup(Context ctx, String store, String group, String missing) {
        return valueOf(queries.lookupGroup(store, group, ctx.header("Authorization")), missing);
    }

    /** The value of {@code key} wherever it lives, or the matching API error. */
    public JsonNode require(Context ctx, String store, String key, String missing) {
        return valueOf(queries.lookup(store, key, ctx.header("Authorization")), missing);
    }

    private static JsonNode valueOf(QueryResult result, String missing) {
        return switch (result.status()) {
            case FOUND -> result.value();
            case NOT_FOUND -> throw ApiException.notFound(missing);
            case UNAVAILABLE -> throw ApiException.notReady(result.problem());
        };
    }
}
