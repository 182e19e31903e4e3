package io.soma.streams.edge.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.schemas.Texts;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.DecisionArchiveQuery;
import io.soma.streams.stores.archive.PageOrder;
import io.soma.streams.stores.archive.TrainingAuditQuery;
import io.soma.streams.topologies.policy.evaluation.Decision;
import org.apache.kafka.common.KafkaException;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /v1/audit/decisions?tenant=&from=&to=&limit=&cursor=&decision=}: the PostgreSQL archive, paged by time,
 * all outcomes or one;
 * {@code GET /v1/audit/decisions/rate?tenant=}: its decisions per second by outcome, lately;
 * {@code GET /v1/audit/training?tenant=&from=&to=&limit=&cursor=}: the archived training audit, paged the same way; and
 * {@code GET /v1/audit/dead-letters}: how many records the dead-letter topic holds.
 */
public final class AuditHandlers {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    /** Long enough that a rate does not jump with each archived batch, short enough to read as live. */
    private static final Duration RATE_WINDOW = Duration.ofSeconds(60);

    /** A page of one of the archive's tables, as the paged archive routes ask for it. */
    @FunctionalInterface
    private interface ArchivePage {
        Object read(String tenant, Instant from, Instant to, int limit, String cursor, PageOrder order)
                throws SQLException;
    }

    private final DecisionArchiveQuery decisions;
    private final TrainingAuditQuery training;
    private final DeadLetterCount deadLetters;

    AuditHandlers(DecisionArchiveQuery decisions, TrainingAuditQuery training, DeadLetterCount deadLetters) {
        this.decisions = decisions;
        this.training = training;
        this.deadLetters = deadLetters;
    }

    public void decisions(Context ctx) throws Exception {
        String decision = outcome(ctx.queryParam("decision"));
        page(ctx, (tenant, from, to, limit, cursor, order) -> decisions.page(tenant, from, to, limit, cursor, order,
                decision));
    }

    /** The outcome a page is limited to, null for every outcome; another word is the caller's error. */
    private static String outcome(String decision) {
        if (decision == null || decision.isBlank()) {
            return null;
        }
        try {
            // any case, as order= takes it
            return Decision.fromWire(decision).wire();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("decision must be one of "
                    + Arrays.stream(Decision.values()).map(Decision::wire).toList() + ", got '"
                    + Texts.cut(decision, 100) + "'", "decision");
        }
    }

    public void training(Context ctx) throws Exception {
        page(ctx, training::page);
    }

    private static void page(Context ctx, ArchivePage archive) throws Exception {
        String tenant = TenantGuard.tenant(ctx);
        String cursor = ctx.queryParam("cursor");
        Object page = QueryParams.readArchive(ctx, range -> archive.read(tenant, range.from(), range.to(),
                range.limit(), cursor, PageOrder.named(ctx.queryParam("order"))));
        ctx.contentType("application/json").result(JSON.writeValueAsString(page));
    }

    public void decisionRate(Context ctx) throws Exception {
        String tenant = TenantGuard.tenant(ctx);
        Instant to = Instant.now();
        Instant from = to.minus(RATE_WINDOW);
        Map<String, Double> perSecond = new TreeMap<>();
        try {
            decisions.countByDecision(tenant, from, to)
                    .forEach((outcome, count) -> perSecond.put(outcome, count / (double) RATE_WINDOW.toSeconds()));
        } catch (SQLException e) {
            throw QueryParams.archiveUnavailable();
        }
        ctx.json(Map.of("tenant", tenant, "from", from.toString(), "to", to.toString(), "per_second", perSecond));
    }

    public void deadLetters(Context ctx) {
        Instant at = Instant.now();
        try {
            ctx.json(Map.of("topic", Topics.DEAD_LETTER, "held", deadLetters.held(), "at", at.toString()));
        } catch (KafkaException e) {
            throw ApiException.notReady("the dead-letter topic's offsets are unavailable: " + e.getMessage());
        }
    }
}
