package io.soma.streams.edge.budget;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.audit.ArchiveSlice;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.edge.policy.ConversationSlice;
import io.soma.streams.edge.policy.PolicySlice;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.MidDay;
import io.soma.streams.testkit.SseClient;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.budget.BudgetApp;
import io.soma.streams.topologies.budget.BudgetValidation;
import io.soma.streams.topologies.budget.Usage;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.replay.AzureTrace;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget routes and the reservation before a step, on three real instances of one deployment (policy, identity,
 * budget, conversation and archive slices) on the shared broker, with the token counts of the Azure code trace. The last test
 * stops the budget app of every instance, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BudgetEdgeIT {
    private static final int STEPS = 200;
    private static final int ADMITTED = 50;
    private static final int CONCURRENT = 40;
    private static final long MAX_COMPLETION = 1024;
    private static final Duration TIMEOUT = EdgeFixture.AWAIT_TIMEOUT;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EdgeFixture first;
    private static EdgeFixture second;
    private static EdgeFixture third;
    private static KafkaProducer<String, SpecificRecord> orchestrator;
    private static List<AzureTrace.Request> trace;

    /** One step sent, and its answer. */
    private record Sent(int index, AzureTrace.Request request, HttpResponse<String> response) {
        long estimate() {
            return request.contextTokens() + MAX_COMPLETION;
        }
    }

    @BeforeAll
    // longer than the suite's default of 5 minutes on a loaded machine: three processes, each joining every group of
    // the others
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    static void startThreeInstances() {
        // the fixture's reply timeout: a reservation and a decision per step, 40 at a time over three processes in
        // one JVM, on a loaded 2-core machine: at 15 s, one slow reply of the 200 was a 503 that failed the burst
        first = EdgeFixture.withSlices(List.of(PolicySlice::start, IdentitySlice::start, BudgetSlice::start,
                ConversationSlice::start, ArchiveSlice::start), Map.of()).awaitReady();
        second = first.anotherInstance().awaitReady();
        third = first.anotherInstance().awaitReady();
        StreamsApps.awaitRunningWithTasks(List.of(first.streams(BudgetApp.APPLICATION_ID),
                second.streams(BudgetApp.APPLICATION_ID), third.streams(BudgetApp.APPLICATION_ID)));
        StreamsApps.awaitRunningWithTasks(List.of(first.streams(PolicyApp.APPLICATION_ID),
                second.streams(PolicyApp.APPLICATION_ID), third.streams(PolicyApp.APPLICATION_ID)));
        orchestrator = new KafkaProducer<>(Map.of("bootstrap.servers", first.config().bootstrapServers(),
                "linger.ms", 5), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(first.config().schemaRegistryUrl()), false, true));
        trace = AzureTrace.read(AzureTrace.file(TestPaths.dataDir(), "code")).subList(0, STEPS);
    }

    @AfterAll
    static void stop() {
        try {
            if (orchestrator != null) {
                orchestrator.close();
            }
        } finally {
            closeAll(third, second, first);
        }
    }

    @Test
    @Order(1)
    void shouldNeverGrantMoreThanTheHardLimitAcrossInstancesAndSettleTheRealUsage() throws Exception {
        String tenant = EdgeFixture.tenants("budget-race", 1).get(0);
        String admin = first.tokenFor(tenant, "admin", Capability.tenantAdmin());
        long limit = trace.subList(0, ADMITTED).stream().mapToLong(r -> r.contextTokens() + MAX_COMPLETION).sum();
        // a zone where the day has about 12 hours left: no reset falls inside the test
        HttpResponse<String> defined = put(first, admin, tenant, "daily", Map.of("limit_tokens", limit,
                "period", "DAY", "time_zone", MidDay.zone().getId()));
        assertThat(defined.statusCode()).as(defined.body()).isEqualTo(200);
        first.awaitGet("the budget applied", "/v1/budgets/" + tenant + "/daily", admin,
                b -> b.path("limit_tokens").asLong() == limit);

        List<Sent> sent = stepConcurrently(tenant, admin);
        List<Sent> granted = sent.stream().filter(s -> s.response().statusCode() == 200).toList();
        List<Sent> refused = sent.stream().filter(s -> s.response().statusCode() == 429).toList();
        assertThat(granted.size() + refused.size()).as("every step granted or refused: "
                + sent.stream().filter(s -> s.response().statusCode() != 200 && s.response().statusCode() != 429)
                .map(s -> s.response().statusCode() + " " + s.response().body()).limit(3).toList()).isEqualTo(STEPS);
        long grantedTokens = granted.stream().mapToLong(Sent::estimate).sum();
        assertThat(grantedTokens).isLessThanOrEqualTo(limit);
        assertThat(granted).isNotEmpty();
        for (Sent s : refused) {
            JsonNode body = EdgeFixture.json(s.response());
            assertThat(body.path("error").asText()).isEqualTo("budget_exceeded");
            assertThat(body.path("details").path("budget_id").asText()).isEqualTo("daily");
            assertThat(body.path("details").path("limit").asDouble()).isEqualTo((double) limit);
            assertThat(body.path("details").has("period_end")).isTrue();
            assertThat(Long.parseLong(s.response().headers().firstValue("Retry-After").orElseThrow()))
                    .isEqualTo(body.path("details").path("retry_after_seconds").asLong()).isPositive();
        }
        JsonNode reserved = second.awaitGet("the granted steps reserved", "/v1/budgets/" + tenant + "/daily", admin,
                b -> b.path("reserved_tokens").asLong() == grantedTokens);
        assertThat(reserved.path("spent_tokens").asLong()).isZero();

        long used = granted.stream().mapToLong(s -> s.request().contextTokens() + s.request().generatedTokens()).sum();
        List<Integer> crossed = List.of(50, 80, 95).stream().filter(t -> 100.0 * used / limit >= t).toList();
        JsonNode projection;
        try (SseClient alerts = SseClient.open(URI.create("http://127.0.0.1:" + third.port() + "/v1/budgets/" + tenant
                + "/alerts/stream"), Map.of("Authorization", "Bearer " + admin))) {
            alerts.awaitEvent("ready", TIMEOUT);
            for (Sent s : granted) {
                respond(tenant, s);
            }
            orchestrator.flush();
            JsonNode settled = third.awaitGet("spend settled to the real token counts", "/v1/budgets/" + tenant
                    + "/daily", admin, b -> b.path("reserved_tokens").asLong() == 0
                    && b.path("spent_tokens").asLong() == used);
            assertThat(settled.path("remaining_tokens").asLong()).isEqualTo(limit - used);
            // and where the spend is heading, from the responses just settled
            projection = settled.path("projection");
            assertThat(projection.path("settled_events").asLong()).isEqualTo(granted.size());
            assertThat(projection.path("coverage").asDouble()).isEqualTo(0.8);
            // the budget's first period has no past period to calibrate on: the normal approximation, said so
            assertThat(projection.path("tokens_calibrated").asBoolean(true)).isFalse();
            assertThat(projection.path("tokens_lower").asDouble()).isGreaterThanOrEqualTo(used);
            assertThat(projection.path("tokens_upper").asDouble())
                    .isGreaterThanOrEqualTo(projection.path("tokens").asDouble());
            if (!crossed.isEmpty()) {
                // projected crossings arrive on the same stream; these are the ones the spend made
                assertThat(Await.value("the crossing alerts", TIMEOUT, () -> alerts.events().stream()
                                .filter(e -> BudgetHandlers.ALERT_EVENT.equals(e.name()))
                                .map(BudgetEdgeIT::alertOf)
                                .filter(a -> "threshold_crossed".equals(a.path("kind").asText()))
                                .map(a -> a.path("threshold_percent").asInt()).toList(),
                        list -> list.size() >= crossed.size()))
                        .containsExactlyElementsOf(crossed);
            }
        }
        Await.until("the spent ratio exported", TIMEOUT, () -> first.get("/metrics", null).body()
                .contains("budget_spent_ratio{budget=\"daily\",tenant=\"" + tenant + "\"}"));
        String mirrored = Await.value("the status mirrored to Redis", TIMEOUT,
                () -> first.redis().get(first.redisKey(BudgetSlice.REDIS_PREFIX + tenant + "/daily")),
                v -> v != null && v.contains("\"spent_tokens\":" + used));
        assertThat(mirrored).contains("\"reserved_tokens\":0");
        assertAuditArchived(tenant, refused.size(), granted.size(), used);
        System.out.printf("budget race: limit %d tokens, %d of %d steps granted for %d tokens reserved, %d refused;"
                + " spent %d after settlement; alerts %s; projected %.0f [%.0f, %.0f], exhaustion %s%n", limit,
                granted.size(), STEPS, grantedTokens, refused.size(), used, crossed, projection.path("tokens").asDouble(),
                projection.path("tokens_lower").asDouble(), projection.path("tokens_upper").asDouble(),
                projection.path("exhaustion_at").asText());
    }

    @Test
    @Order(2)
    void shouldRefuseBadInputNamingTheFieldAndDeleteABudget() {
        String tenant = EdgeFixture.tenants("budget-input", 1).get(0);
        String admin = first.tokenFor(tenant, "admin", Capability.tenantAdmin());
        Map<String, Map<String, Object>> bad = new LinkedHashMap<>();
        bad.put("limit_tokens", Map.of("limit_tokens", 0, "period", "DAY"));
        bad.put("limit_usd", Map.of("limit_usd", -1.5, "period", "DAY"));
        bad.put("period", Map.of("limit_tokens", 1000, "period", "FORTNIGHT"));
        bad.put("time_zone", Map.of("limit_tokens", 1000, "period", "MONTH", "time_zone", "Mars/Olympus_Mons"));
        bad.put("thresholds_percent", Map.of("limit_tokens", 1000, "period", "WEEK",
                "thresholds_percent", List.of(80, 50)));
        bad.put("model", Map.of("limit_tokens", 1000, "period", "DAY",
                "model", "m".repeat(BudgetValidation.MAX_NAME_CHARS + 1)));
        bad.forEach((field, body) -> {
            HttpResponse<String> r = put(second, admin, tenant, "bad", body);
            assertThat(r.statusCode()).as(field + ": " + r.body()).isEqualTo(422);
            assertThat(EdgeFixture.json(r).path("details").path("field").asText()).isEqualTo(field);
        });
        // not the type the field takes: a 400, naming the field too
        Map<String, Map<String, Object>> mistyped = new LinkedHashMap<>();
        mistyped.put("limit_tokens", Map.of("limit_tokens", "1000", "period", "DAY"));
        mistyped.put("limit_usd", Map.of("limit_usd", "5", "period", "DAY"));
        mistyped.put("period", Map.of("limit_tokens", 1000, "period", 5));
        mistyped.put("thresholds_percent", Map.of("limit_tokens", 1000, "period", "DAY",
                "thresholds_percent", List.of(80.5)));
        mistyped.forEach((field, body) -> {
            HttpResponse<String> r = put(second, admin, tenant, "mistyped", body);
            assertThat(r.statusCode()).as(field + ": " + r.body()).isEqualTo(400);
            assertThat(EdgeFixture.json(r).path("details").path("field").asText()).isEqualTo(field);
        });
        HttpResponse<String> negative = first.post("/v1/conversation/step", admin, EdgeFixture.json(Map.of(
                "session_id", "s-" + UUID.randomUUID(), "content", "hi", "prompt_tokens", -1)));
        assertThat(negative.statusCode()).as(negative.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(negative).path("details").path("field").asText()).isEqualTo("prompt_tokens");
        // a name the apps key events by, bounded (EventNames)
        HttpResponse<String> longModel = first.post("/v1/conversation/step", admin, EdgeFixture.json(Map.of(
                "session_id", "s-" + UUID.randomUUID(), "content", "hi", "model", "m".repeat(EventNames.MAX_CHARS + 1))));
        assertThat(longModel.statusCode()).as(longModel.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(longModel).path("details").path("field").asText()).isEqualTo("model");

        assertThat(put(second, admin, tenant, "weekly", Map.of("limit_tokens", 1000, "period", "WEEK")).statusCode())
                .isEqualTo(200);
        first.awaitGet("the budget listed", "/v1/budgets/" + tenant, admin,
                b -> b.path("budgets").size() == 1
                        && b.path("budgets").get(0).path("budget_id").asText().equals("weekly"));
        HttpResponse<String> deleted = first.send(first.request("/v1/budgets/" + tenant + "/weekly", admin).DELETE());
        assertThat(deleted.statusCode()).isEqualTo(204);
        Await.until("the budget gone", TIMEOUT, () -> first.get("/v1/budgets/" + tenant + "/weekly", admin)
                .statusCode() == 404);
    }

    /** A tenant's ledger is one record with every budget: their number is bounded so it stays far under 1 MB. */
    @Test
    @Order(3)
    void shouldRefuseANewBudgetPastTheTenantsCapAndStillChangeAnExistingOne() throws Exception {
        String tenant = EdgeFixture.tenants("budget-cap", 1).get(0);
        String admin = first.tokenFor(tenant, "admin", Capability.tenantAdmin());
        JsonNode daily = JSON.readTree("{\"limit_tokens\":1000000,\"period\":\"DAY\"}");
        for (int i = 0; i < BudgetValidation.MAX_BUDGETS_PER_TENANT; i++) {
            orchestrator.send(new ProducerRecord<>(Topics.BUDGET_DEFINITIONS.name(),
                    BudgetApp.budgetKey(tenant, "b-" + i), BudgetHandlers.definition(tenant, "b-" + i, daily, "it")));
        }
        orchestrator.flush();
        first.awaitGet("the tenant's budgets", "/v1/budgets/" + tenant, admin,
                b -> b.path("budgets").size() == BudgetValidation.MAX_BUDGETS_PER_TENANT);

        HttpResponse<String> oneMore = put(second, admin, tenant, "one-more",
                Map.of("limit_tokens", 1000, "period", "DAY"));
        HttpResponse<String> changed = put(second, admin, tenant, "b-0",
                Map.of("limit_tokens", 2000, "period", "DAY"));

        assertThat(oneMore.statusCode()).as(oneMore.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(oneMore).path("details").path("field").asText()).isEqualTo("budget_id");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(200);
    }

    @Test
    @Order(4)
    void shouldNotBlockAZeroPricedModelByACostBudget() {
        String tenant = EdgeFixture.tenants("budget-free", 1).get(0);
        String admin = first.tokenFor(tenant, "admin", Capability.tenantAdmin());
        AzureTrace.Request request = trace.get(0);
        // gpt-4o at list price: the step's estimate costs more than the whole budget
        assertThat(put(first, admin, tenant, "cost", Map.of("limit_usd", 0.001, "period", "MONTH")).statusCode())
                .isEqualTo(200);

        // no waiting: the PUT answers once the app applied the budget, so a step sent at once, elsewhere, is under it
        HttpResponse<String> priced = step(second, admin, "openai", "gpt-4o", request);
        // larger than the whole limit: no reset would let it through, so 422 and no Retry-After
        assertThat(priced.statusCode()).as(priced.body()).isEqualTo(422);
        assertThat(priced.headers().firstValue("Retry-After")).isEmpty();
        assertThat(EdgeFixture.json(priced).path("details").path("kind").asText()).isEqualTo("over_limit");
        assertThat(EdgeFixture.json(priced).path("details").path("unit").asText()).isEqualTo("usd");
        HttpResponse<String> local = step(second, admin, "local", "llama-3-8b", request);
        assertThat(local.statusCode()).as(local.body()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void shouldReleaseTheReservationOfAStepThePolicyDeniesAlsoWhenDecidedAfterTheEdgeStoppedWaiting() {
        String tenant = EdgeFixture.tenants("budget-denied", 1).get(0);
        String admin = first.tokenFor(tenant, "admin", Capability.tenantAdmin());
        assertThat(put(first, admin, tenant, "daily", Map.of("limit_tokens", 1_000_000, "period", "DAY")).statusCode())
                .isEqualTo(200);
        HttpResponse<String> pack = first.send(first.request("/v1/policies/" + tenant, admin)
                .header("Content-Type", "application/json").header("If-None-Match", "*")
                .PUT(HttpRequest.BodyPublishers.ofString(EdgeFixture.json(Map.of("rules",
                        List.of(Map.of("name", "no-forbidden", "pattern", "forbidden", "action", "deny")))))));
        assertThat(pack.statusCode()).as(pack.body()).isEqualTo(200);
        first.awaitGet("the tenant's pack", "/v1/policies/" + tenant, admin, p -> p.path("rules").size() == 1);
        first.awaitGet("the budget applied", "/v1/budgets/" + tenant + "/daily", admin, b -> true);

        // until the policy app has the pack a step may still be allowed (and keep its reservation): ask again
        JsonNode denied = Await.value("a step denied by the tenant's pack", TIMEOUT, () -> EdgeFixture.json(
                second.post("/v1/conversation/step", admin, EdgeFixture.json(Map.of("session_id",
                        "denied-" + UUID.randomUUID(), "content", "a forbidden word", "prompt_tokens", 100,
                        "max_completion_tokens", 100)))), d -> d.path("decision").asText().equals("deny"));

        // freed when the step was denied, not 5 minutes later when it would have expired
        awaitReleased(tenant, denied.path("event_id").asText());

        // decided only after the edge answered 504: the late denial still frees the reservation
        List<KafkaStreams> policy = Stream.of(first, second, third).map(i -> i.streams(PolicyApp.APPLICATION_ID))
                .toList();
        policy.forEach(KafkaStreams::pause);
        HttpResponse<String> late;
        try {
            late = second.post("/v1/conversation/step", admin, EdgeFixture.json(Map.of("session_id",
                    "late-" + UUID.randomUUID(), "content", "a forbidden word", "prompt_tokens", 100,
                    "max_completion_tokens", 100)));
        } finally {
            policy.forEach(KafkaStreams::resume);
        }
        assertThat(late.statusCode()).as(late.body()).isEqualTo(504);
        awaitReleased(tenant, EdgeFixture.json(late).path("details").path("event_id").asText());
    }

    @Test
    @Order(6)
    void shouldReleaseAtOnceTheReservationOfAStepKafkaRefuses() {
        String tenant = EdgeFixture.tenants("budget-refused", 1).get(0);
        String admin = first.tokenFor(tenant, "admin", Capability.tenantAdmin());
        assertThat(put(first, admin, tenant, "daily", Map.of("limit_tokens", 1_000_000, "period", "DAY")).statusCode())
                .isEqualTo(200);
        first.awaitGet("the budget applied", "/v1/budgets/" + tenant + "/daily", admin, b -> true);

        // a body just under the edge's 1 MiB limit makes an event just over the producer's 1 MiB request limit
        String shape = EdgeFixture.json(Map.of("session_id", "refused-" + UUID.randomUUID(), "content", "%s",
                "prompt_tokens", 100, "max_completion_tokens", 100));
        String body = shape.formatted("x".repeat(1024 * 1024 - 16 - (shape.length() - 2)));
        HttpResponse<String> refused = second.post("/v1/conversation/step", admin, body);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(413);

        // freed when Kafka refused the step, not 5 minutes later when it would have expired
        String eventId = EdgeFixture.json(refused).path("details").path("event_id").asText();
        assertThat(eventId).isNotEmpty();
        awaitReleased(tenant, eventId);
    }

    /** Waits for the tenant's audit to hold the release of the reservation of step {@code eventId}. */
    private static void awaitReleased(String tenant, String eventId) {
        String reader = second.tokenFor(tenant, "auditor", Set.of(Capability.BUDGET_READ));
        second.awaitGet("the reservation of " + eventId + " released", "/v1/budgets/" + tenant + "/audit?limit=1000",
                reader, a -> a.path("audit").findParents("action").stream().anyMatch(row ->
                        row.path("action").asText().equals("reservation.released")
                                && row.path("request_id").asText().equals(eventId)));
    }

    @Test
    @Order(99)
    void shouldFailClosedForHardBudgetsWhenTheBudgetAppCannotBeReached() throws Exception {
        List<String> tenants = EdgeFixture.tenants("budget-down", 4);
        Map<String, Map<String, Object>> budgetOf = Map.of(
                tenants.get(0), Map.of("limit_tokens", 1_000_000, "period", "DAY"),
                tenants.get(1), Map.of("limit_tokens", 1_000_000, "period", "DAY", "fail_closed", false),
                tenants.get(2), Map.of("limit_tokens", 1_000_000, "period", "DAY", "hard", false),
                // hard and fail-closed, but for another model than the step's: it does not hold the step
                tenants.get(3), Map.of("limit_tokens", 1_000_000, "period", "DAY", "provider", "anthropic",
                        "model", "claude-3-5-sonnet"));
        Map<String, String> admins = new HashMap<>();
        budgetOf.forEach((tenant, body) -> {
            admins.put(tenant, first.tokenFor(tenant, "admin", Capability.tenantAdmin()));
            assertThat(put(first, admins.get(tenant), tenant, "daily", body).statusCode()).isEqualTo(200);
            first.awaitGet("the budget applied", "/v1/budgets/" + tenant + "/daily", admins.get(tenant), b -> true);
        });
        for (EdgeFixture instance : List.of(first, second, third)) {
            assertThat(StreamsApps.closeLeavingGroup(instance.streams(BudgetApp.APPLICATION_ID))).isTrue();
        }

        // each step waits out the reply timeout (25 s) for a reservation that cannot come: the four wait together
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            Future<HttpResponse<String>> closedStep = callers.submit(
                    () -> step(first, admins.get(tenants.get(0)), null, null, trace.get(0)));
            Future<HttpResponse<String>> openStep = callers.submit(
                    () -> step(second, admins.get(tenants.get(1)), null, null, trace.get(1)));
            // failing open, the step is not reserved: a reservation id of the caller's must not ride along
            Future<HttpResponse<String>> softStep = callers.submit(() -> third.post("/v1/conversation/step",
                    admins.get(tenants.get(2)), EdgeFixture.json(Map.of("session_id", "s-" + UUID.randomUUID(),
                            "content", "hello", "metadata", Map.of(Usage.RESERVATION_ID_METADATA, "forged")))));
            Future<HttpResponse<String>> otherModelStep = callers.submit(
                    () -> step(first, admins.get(tenants.get(3)), "openai", "gpt-4o-mini", trace.get(2)));
            HttpResponse<String> closed = closedStep.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(closed.statusCode()).as(closed.body()).isEqualTo(503);
            assertThat(EdgeFixture.json(closed).path("error").asText()).isEqualTo("budget_unavailable");
            assertThat(EdgeFixture.json(closed).path("details").path("budgets").toString()).contains("daily");
            HttpResponse<String> open = openStep.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(open.statusCode()).as("hard but fail_closed false: " + open.body()).isEqualTo(200);
            HttpResponse<String> otherModel = otherModelStep.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(otherModel.statusCode()).as("held by no fail-closed budget: " + otherModel.body())
                    .isEqualTo(200);
            HttpResponse<String> soft = softStep.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(soft.statusCode()).as("soft only: " + soft.body()).isEqualTo(200);
            String softEvent = EdgeFixture.json(soft).path("event_id").asText();
            ConversationEvent published = CommittedRecords.await(first.config().bootstrapServers(),
                    Topics.CONVERSATION_EVENTS.name(), Topics.CONVERSATION_EVENTS.keySerde().deserializer(),
                    Topics.CONVERSATION_EVENTS.valueSerde(new SchemaRegistryClient(first.config().schemaRegistryUrl()))
                            .deserializer(), r -> softEvent.equals(r.value().getEventId()), 1,
                    CommittedRecords.DEFAULT_TIMEOUT).get(0).value();
            assertThat(published.getMetadata()).doesNotContainKey(Usage.RESERVATION_ID_METADATA);
        } finally {
            callers.shutdownNow();
        }
    }

    /** The definition, every refusal and every settlement, each once, in the archive and through the audit route. */
    private static void assertAuditArchived(String tenant, int refusals, int settlements, long used) {
        String reader = second.tokenFor(tenant, "auditor", Set.of(Capability.BUDGET_READ));
        int expected = 1 + refusals + settlements;
        JsonNode page = second.awaitGet("the budget audit archived", "/v1/budgets/" + tenant + "/audit?limit=1000",
                reader, a -> a.path("audit").size() >= expected);
        assertThat(page.path("truncated").asBoolean()).isFalse();
        Map<String, List<JsonNode>> byAction = new HashMap<>();
        page.path("audit").forEach(row -> byAction.computeIfAbsent(row.path("action").asText(), a -> new ArrayList<>())
                .add(row));
        assertThat(byAction.keySet()).containsExactlyInAnyOrder("budget.changed", "reservation.refused",
                "reservation.settled");
        assertThat(byAction.get("budget.changed")).hasSize(1);
        assertThat(byAction.get("reservation.refused")).hasSize(refusals)
                .allSatisfy(row -> assertThat(row.path("budget_id").asText()).isEqualTo("daily"));
        assertThat(byAction.get("reservation.settled")).hasSize(settlements);
        assertThat(byAction.get("reservation.settled").stream().mapToLong(row -> row.path("tokens").asLong()).sum())
                .isEqualTo(used);
        HttpResponse<String> empty = second.get("/v1/budgets/" + tenant + "/audit?to=1970-01-02T00:00:00Z", reader);
        assertThat(EdgeFixture.json(empty).path("audit").size()).as(empty.body()).isZero();
    }

    private static List<Sent> stepConcurrently(String tenant, String token) throws Exception {
        List<EdgeFixture> instances = List.of(first, second, third);
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT);
        try {
            List<Future<Sent>> futures = new ArrayList<>();
            for (int i = 0; i < STEPS; i++) {
                int index = i;
                AzureTrace.Request request = trace.get(i);
                EdgeFixture instance = instances.get(i % instances.size());
                futures.add(pool.submit(() -> new Sent(index, request, instance.post("/v1/conversation/step", token,
                        EdgeFixture.json(Map.of("tenant", tenant, "session_id", tenant + "-" + index,
                                "content", "step " + index, "prompt_tokens", request.contextTokens(),
                                "max_completion_tokens", MAX_COMPLETION))))));
            }
            List<Sent> sent = new ArrayList<>();
            for (Future<Sent> f : futures) {
                sent.add(f.get(2, TimeUnit.MINUTES));
            }
            return sent;
        } finally {
            pool.shutdownNow();
        }
    }

    /** What an orchestrator publishes once the model answered: the real token counts, naming the reservation. */
    private static void respond(String tenant, Sent step) {
        String session = tenant + "-" + step.index();
        String reservation = EdgeFixture.json(step.response()).path("event_id").asText();
        ConversationEvent response = ConversationEvent.newBuilder().setEventId(UUID.randomUUID().toString())
                .setSessionId(session).setTenant(tenant).setRole("assistant").setEventType("slm.response")
                .setTimestamp(Instant.now()).setPromptTokens(step.request().contextTokens())
                .setCompletionTokens(step.request().generatedTokens())
                .setMetadata(Map.of(Usage.RESERVATION_ID_METADATA, reservation)).build();
        orchestrator.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), session, response));
    }

    private static HttpResponse<String> step(EdgeFixture instance, String token, String provider, String model,
                                             AzureTrace.Request request) {
        Map<String, Object> body = new HashMap<>(Map.of("session_id", "s-" + UUID.randomUUID(), "content", "hello",
                "prompt_tokens", request.contextTokens(), "max_completion_tokens", request.generatedTokens()));
        if (provider != null) {
            body.put("provider", provider);
            body.put("model", model);
        }
        return instance.post("/v1/conversation/step", token, EdgeFixture.json(body));
    }

    private static HttpResponse<String> put(EdgeFixture instance, String token, String tenant, String budget,
                                            Map<String, ?> body) {
        return instance.send(instance.request("/v1/budgets/" + tenant + "/" + budget, token)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(EdgeFixture.json(body))));
    }

    private static JsonNode alertOf(SseClient.Event alert) {
        try {
            return JSON.readTree(alert.data());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeAll(EdgeFixture... fixtures) {
        for (EdgeFixture f : fixtures) {
            if (f != null) {
                f.close();
            }
        }
    }
}
