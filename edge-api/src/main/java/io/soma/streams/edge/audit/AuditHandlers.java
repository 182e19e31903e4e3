package io.soma.streams.edge.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.stores.archive.DecisionArchiveQuery;

import java.sql.SQLException;
import java.time.Instant;

/** {@code GET /v1/audit/decisions?tenant=&from=&to=&limit=&cursor=}: the PostgreSQL archive, paged by time. */
public final class AuditHandlers {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final int DEFAULT_LIMIT = 100;

    private final DecisionArchiveQuery decisions;

    public AuditHandlers(DecisionArchiveQuery decisions) {
        this.decisions = decisions;
    }

    public void decisions(Context ctx) throws Exception {
        String tenant = TenantGuard.tenant(ctx);
        Instant from = QueryParams.instant(ctx, "from", Instant.EPOCH);
        Instant to = QueryParams.instant(ctx, "to", Instant.now());
        int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(DEFAULT_LIMIT);
        try {
            ctx.contentType("application/json").result(
                    JSON.writeValueAsString(decisions.page(tenant, from, to, limit, ctx.queryParam("cursor"))));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        } catch (SQLException e) {
            throw ApiException.notReady("the audit archive (PostgreSQL) is unavailable");
        }
    }
}
