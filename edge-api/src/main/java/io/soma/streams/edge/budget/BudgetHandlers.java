package io.soma.streams.edge.budget;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.kafka.KafkaPublish;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.sse.SseSource;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.BudgetAuditQuery;
import io.soma.streams.stores.archive.RetryBackoff;
import io.soma.streams.topologies.budget.BudgetApp;
import io.soma.streams.topologies.budget.BudgetProblem;
import io.soma.streams.topologies.budget.BudgetValidation;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code PUT/GET/DELETE /v1/budgets/{tenant}/{budget}}, {@code GET /v1/budgets/{tenant}} and
 * {@code GET /v1/budgets/{tenant}/alerts/stream}. A PUT publishes the definition to {@code budget.definitions} and
 * answers once the budget app has applied it; a DELETE publishes its tombstone and answers once Kafka has it. A GET
 * shows the app's ledger (definition and status of the current period) from whichever instance holds the tenant.
 */
public final class BudgetHandlers {
    /** The SSE event name of a budget alert. */
    public static final String ALERT_EVENT = "budget.alert";
    /** How often a PUT asks the ledger whether its definition is applied: soon at first, then every 100 ms. */
    private static final RetryBackoff APPLIED_POLL = new RetryBackoff(Duration.ofMillis(5), Duration.ofMillis(100));

    private final Producer<String, SpecificRecord> producer;
    private final StoreLookups stores;
    private final SseHub alerts;
    private final Duration timeout;
    private final BudgetAuditQuery audit;

    public BudgetHandlers(Producer<String, SpecificRecord> producer, StoreLookups stores, SseHub alerts,
                          Duration timeout, BudgetAuditQuery audit) {
        this.producer = producer;
        this.stores = stores;
        this.alerts = alerts;
        this.timeout = timeout;
        this.audit = audit;
    }

    public void put(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        BudgetDefinition definition = definition(tenant, ctx.pathParam("budget"), JsonBody.object(ctx),
                AuthHandler.principal(ctx).subject());
        List<BudgetProblem> problems = BudgetValidation.problems(definition);
        if (!problems.isEmpty()) {
            List<Map<String, String>> listed = problems.stream()
                    .map(p -> Map.of("field", p.field(), "message", p.message())).toList();
            throw ApiException.unprocessable("invalid budget: " + problems,
                    Map.of("field", problems.get(0).field(), "problems", listed));
        }
        requireRoomFor(tenant, definition.getBudgetId());
        publish(tenant, definition.getBudgetId(), definition);
        awaitApplied(tenant, definition);
        ctx.json(BudgetViews.definition(definition));
    }

    /**
     * Read your writes: the 200 waits until the budget app has applied the definition (or a later one of the same
     * budget), so a step sent after it is decided under it. Definitions reach the ledger through a repartition, a hop
     * the reservations do not take: answered at once, a step sent right after could be granted against a budget the
     * ledger did not hold yet, or under the limit it replaced.
     */
    private void awaitApplied(String tenant, BudgetDefinition definition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int attempt = 1; !applied(tenant, definition); attempt++) {
            if (System.nanoTime() - deadline > 0) {
                // recorded in Kafka, so most likely applied later; but the app refuses (dead-letters) a definition it
                // cannot hold, e.g. a 101st budget that a concurrent PUT let past requireRoomFor
                throw new ApiException(504, "timeout", "the budget " + definition.getBudgetId() + " is recorded, but "
                        + "the budget app did not apply it within " + timeout.toMillis() + " ms; it may be applied "
                        + "later, or have been refused: check GET before relying on it", Map.of("tenant", tenant,
                        "budget_id", definition.getBudgetId()));
            }
            try {
                Thread.sleep(APPLIED_POLL.delay(attempt).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiException.notReady("interrupted while waiting for the budget app");
            }
        }
    }

    private boolean applied(String tenant, BudgetDefinition definition) {
        try {
            return budgets(tenant).stream().anyMatch(b -> definition.getBudgetId().equals(b.path("budget_id").asText())
                    && !Instant.parse(b.path("updated_at").asText()).isBefore(definition.getUpdatedAt()));
        } catch (ApiException unreadable) {
            // the ledger is moving between instances, or its instance does not answer: ask again until the deadline
            return false;
        }
    }

    /** Deleting a budget nobody defined is not an error: the tombstone changes nothing. */
    public void delete(Context ctx) {
        publish(TenantGuard.tenant(ctx), ctx.pathParam("budget"), null);
        ctx.status(204);
    }

    public void get(Context ctx) {
        String budgetId = ctx.pathParam("budget");
        for (JsonNode budget : budgets(TenantGuard.tenant(ctx))) {
            if (budgetId.equals(budget.path("budget_id").asText())) {
                ctx.json(budget);
                return;
            }
        }
        throw ApiException.notFound("no budget " + budgetId + " (or the budget app has not applied it yet)");
    }

    public void list(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", tenant);
        out.put("budgets", budgets(tenant));
        ctx.json(out);
    }

    /** {@code budget.alerts} of the tenant as server-sent events ({@value #ALERT_EVENT}). */
    public void openAlertStream(Context ctx) throws Exception {
        String tenant = TenantGuard.tenant(ctx);
        alerts.open(ctx, tenant, tenant, AuthHandler.streamCaller(ctx));
    }

    /**
     * {@code GET /v1/budgets/{tenant}/audit?from=&to=&limit=&cursor=}: the tenant's archived budget audit
     * (PostgreSQL), oldest first, page by page; rows appear once the audit archive has copied them from
     * {@code budget.audit}.
     */
    public void audit(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        QueryParams.answerArchivePage(ctx, "tenant", tenant, "audit",
                (from, to, limit, cursor) -> audit.page(tenant, from, to, limit, cursor));
    }

    /**
     * A new budget past {@link BudgetValidation#MAX_BUDGETS_PER_TENANT} is refused here, naming the field, rather than
     * published for the app to dead-letter. While the ledger cannot be read the app alone decides.
     */
    private void requireRoomFor(String tenant, String budgetId) {
        List<JsonNode> budgets;
        try {
            budgets = budgets(tenant);
        } catch (ApiException unreadable) {
            return;
        }
        boolean defined = budgets.stream().anyMatch(b -> budgetId.equals(b.path("budget_id").asText()));
        if (!defined && budgets.size() >= BudgetValidation.MAX_BUDGETS_PER_TENANT) {
            throw ApiException.unprocessable("tenant " + tenant + " holds " + budgets.size() + " budgets, at most "
                    + BudgetValidation.MAX_BUDGETS_PER_TENANT + ": delete one first", Map.of("field", "budget_id"));
        }
    }

    private List<JsonNode> budgets(String tenant) {
        JsonNode ledger;
        try {
            ledger = stores.require(BudgetApp.LEDGER_STORE, tenant, tenant, "no budgets");
        } catch (ApiException e) {
            if (e.status() == 404) {
                return List.of();
            }
            throw e;
        }
        List<JsonNode> out = new ArrayList<>();
        ledger.path("budgets").forEach(out::add);
        return out;
    }

    private void publish(String tenant, String budgetId, BudgetDefinition definitionOrNull) {
        String key = BudgetApp.budgetKey(tenant, budgetId);
        KafkaPublish.acknowledged(producer, new ProducerRecord<>(Topics.BUDGET_DEFINITIONS.name(), key,
                definitionOrNull), timeout, "the budget " + key, Map.of("tenant", tenant, "budget_id", budgetId));
    }

    /** The body as a definition; types are checked here (400), values by {@link BudgetValidation} (422). */
    static BudgetDefinition definition(String tenant, String budgetId, JsonNode body, String actor) {
        BudgetDefinition.Builder b = BudgetDefinition.newBuilder().setTenant(tenant).setBudgetId(budgetId)
                .setProvider(JsonBody.text(body, "provider")).setModel(JsonBody.text(body, "model"))
                .setCapsuleId(JsonBody.text(body, "capsule_id"))
                .setLimitTokens(JsonBody.optionalLong(body, "limit_tokens"))
                .setLimitUsd(JsonBody.optionalNumber(body, "limit_usd"))
                .setPeriod(period(JsonBody.text(body, "period")))
                .setTimeZone(JsonBody.text(body, "time_zone"))
                .setRollingSeconds(JsonBody.optionalLong(body, "rolling_seconds"))
                .setHard(JsonBody.optionalBoolean(body, "hard", true))
                .setFailClosed(JsonBody.optionalBoolean(body, "fail_closed", true))
                // as the record holds it (milliseconds), to recognise it in the ledger
                .setUpdatedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS)).setUpdatedBy(actor);
        JsonNode thresholds = body.get("thresholds_percent");
        if (thresholds != null && !thresholds.isNull()) {
            if (!thresholds.isArray()) {
                throw ApiException.badRequest("thresholds_percent must be an array of whole numbers",
                        "thresholds_percent");
            }
            List<Integer> percents = new ArrayList<>();
            for (JsonNode t : thresholds) {
                if (!t.isInt()) {
                    throw ApiException.badRequest("thresholds_percent must be an array of whole numbers",
                            "thresholds_percent");
                }
                percents.add(t.asInt());
            }
            b.setThresholdsPercent(percents);
        }
        return b.build();
    }

    /** An unknown or missing period is UNKNOWN, which the validation refuses naming the field. */
    private static BudgetPeriodKind period(String name) {
        if (name == null) {
            return BudgetPeriodKind.UNKNOWN;
        }
        try {
            return BudgetPeriodKind.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return BudgetPeriodKind.UNKNOWN;
        }
    }

    /** {@code budget.alerts}, keyed by tenant: one channel per tenant, shown to that tenant only. */
    static SseSource alertSource(Deserializer<BudgetAlert> alerts) {
        return new SseSource() {
            @Override
            public List<String> topics() {
                return List.of(Topics.BUDGET_ALERTS.name());
            }

            @Override
            public String channelOf(ConsumerRecord<byte[], byte[]> record) {
                return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            }

            @Override
            public SseMessage render(ConsumerRecord<byte[], byte[]> record) {
                BudgetAlert alert = alerts.deserialize(record.topic(), record.headers(), record.value());
                return new SseMessage(ALERT_EVENT, BudgetViews.alert(alert), alert.getTenant());
            }
        };
    }
}
