package io.soma.streams.edge.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.stores.query.PeerClient;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.stores.query.QueryResult;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns store lookups into HTTP answers: the peer routes that other instances forward to ({@link PeerServer}), and
 * the helper public handlers use (found → the value, missing → 404, nobody can answer yet → 503). Every lookup acts
 * for one tenant (a peer: the tenant the forwarding instance sends), and the store shows that tenant's keys only.
 */
public final class StoreLookups {
    private static final Logger log = LoggerFactory.getLogger(StoreLookups.class);
    private final StoreQueryService queries;

    public StoreLookups(StoreQueryService queries) {
        this.queries = queries;
    }

    /** {@code GET /internal/stores/{store}/keys/{key}}: answered from this instance's own stores only. */
    public void peerLookup(Context ctx) {
        answerLocally(ctx, () -> queries.local().lookup(ctx.pathParam("store"), ctx.pathParam("key"), forwardedTenant(ctx)),
                "no value for key " + ctx.pathParam("key"));
    }

    /** {@code GET /internal/stores/{store}/windows/{key}?from=&to=} (epoch ms): this instance's windows of the key. */
    public void peerWindows(Context ctx) {
        Instant from = epochMillis(ctx, "from");
        Instant to = epochMillis(ctx, "to");
        answerLocally(ctx, () -> queries.local().windows(ctx.pathParam("store"), ctx.pathParam("key"), from, to,
                        forwardedTenant(ctx)),
                "no windows");
    }

    /** {@code GET /internal/stores/{store}/groups/{group}}: this instance's entries of the group. */
    public void peerGroup(Context ctx) {
        answerLocally(ctx, () -> queries.local().group(ctx.pathParam("store"), ctx.pathParam("group"), forwardedTenant(ctx)),
                "no entries in group " + ctx.pathParam("group"));
    }

    /** {@code GET /internal/stores/{store}/groups/{group}/entries/{member}}: this instance's entry of the group. */
    public void peerGroupEntry(Context ctx) {
        answerLocally(ctx, () -> queries.local().groupEntry(ctx.pathParam("store"), ctx.pathParam("group"),
                ctx.pathParam("member"), forwardedTenant(ctx)), "no such entry in group " + ctx.pathParam("group"));
    }

    private static String forwardedTenant(Context ctx) {
        return PeerClient.forwardedTenant(ctx.header(PeerClient.TENANT_HEADER));
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
            return QueryParams.withinYears(name, Instant.ofEpochMilli(Long.parseLong(value)));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " must be epoch milliseconds, got '" + value + "'");
        }
    }

    /**
     * The windows of {@code key} starting in [{@code from}, {@code to}) wherever it lives (a JSON array), 404 with
     * {@code missing} for a key the tenant may not see, or 503.
     *
     * @param tenant whom the query acts for: the tenant {@code TenantGuard} checked; null for every tenant
     */
    public JsonNode requireWindows(String store, String key, Instant from, Instant to, String tenant, String missing) {
        return valueOf(queries.lookupWindows(store, key, from, to, tenant), missing);
    }

    /** Every entry of {@code group} in a grouped store wherever it lives (a JSON array), or the matching API error. */
    public JsonNode requireGroup(String store, String group, String tenant, String missing) {
        return valueOf(queries.lookupGroup(store, group, tenant), missing);
    }

    /**
     * The entry {@code member} of {@code group} wherever it lives, reading that entry only; empty when there is none,
     * 503 when nobody can answer.
     */
    public Optional<JsonNode> groupEntry(String store, String group, String member, String tenant) {
        QueryResult result = queries.lookupGroupEntry(store, group, member, tenant);
        return result.status() == QueryResult.Status.NOT_FOUND ? Optional.empty()
                : Optional.of(valueOf(result, null));
    }

    /** Like {@link #requireGroup}, but a group with no entry is an empty array, not a 404. */
    public JsonNode groupOrEmpty(String store, String group, String tenant) {
        QueryResult result = queries.lookupGroup(store, group, tenant);
        return result.status() == QueryResult.Status.NOT_FOUND ? JsonNodeFactory.instance.arrayNode()
                : valueOf(result, null);
    }

    /** The value of {@code key} wherever it lives, or the matching API error. */
    public JsonNode require(String store, String key, String tenant, String missing) {
        return valueOf(queries.lookup(store, key, tenant), missing);
    }

    /**
     * The value of {@code key} if the store can say now: empty for a key nobody wrote, and when nobody can answer
     * (for a caller that has a safe answer without it).
     */
    public Optional<JsonNode> findNow(String store, String key, String tenant) {
        QueryResult result = queries.lookup(store, key, tenant);
        if (result.status() == QueryResult.Status.UNAVAILABLE) {
            log.info("store lookup unavailable, answered without it: {}", result.problem());
        }
        return result.status() == QueryResult.Status.FOUND ? Optional.of(result.value()) : Optional.empty();
    }

    private static JsonNode valueOf(QueryResult result, String missing) {
        return switch (result.status()) {
            case FOUND -> result.value();
            case NOT_FOUND -> throw ApiException.notFound(missing);
            case UNAVAILABLE -> {
                // the problem names peers' hosts and ports: for the server's log, not for callers
                log.warn("store lookup unavailable: {}", result.problem());
                throw ApiException.notReady("the store cannot answer for now; try again");
            }
        };
    }
}
