package io.soma.streams.edge.forecast;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastResult;
import io.soma.streams.topologies.forecast.ForecastSettings;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import io.soma.streams.topologies.forecast.TokenForecaster;
import io.soma.streams.topologies.marketplace.Attestation;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.slm.LlmPerfRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Forecasts through the edge, after real ServeGen windows and LLMPerf requests went through the forecast app. The
 * tests that send events run in event-time order ({@link Order}): they share the app's partitions, and a partition
 * whose stream time is already past a window counts that window's events as late.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForecastEdgeIT {
    private static EdgeFixture edge;

    /**
     * Prices of the two providers the capsule test uses: the built-in gpt-4o-mini and gpt-4o list prices, so their
     * costs differ and are not zero (the LLMPerf providers have no built-in price).
     */
    private static final String PRICES = "together/*=0.00015:0.0006,groq/*=0.0025:0.01";

    @BeforeAll
    static void start() throws Exception {
        // ServeGen's event time (2025) must not meet other tests' "now" in the shared broker's partitions
        edge = EdgeFixture.onOwnStack(Map.of("forecast.prices", PRICES, "marketplace.trusted.keys", "example"))
                .awaitReady();
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    @Order(1)
    void shouldAnswerTheOldShapeWithAnIntervalAfterRealUsage() throws Exception {
        String prefix = "fc-" + System.nanoTime() + "-";
        List<ConversationEvent> events = ServeGenEvents.read(
                TestPaths.dataDir().resolve("servegen-language/servegen_m-large.csv"), List.of("m-large-0"), prefix);
        String tenant = prefix + "m-large-0";
        // two days of the tenant's real 10-minute windows, in time order under one key
        List<ConversationEvent> sent = events.subList(0, Math.min(events.size(), 288));
        send(tenant, sent);
        String token = edge.adminToken();
        JsonNode body = awaitForecast("/v1/forecast/" + tenant + "?window_hours=24", token, 1);
        assertThat(body.get("tenant").asText()).isEqualTo(tenant);
        // the edge builds the answer from the app's stored model: the numbers of a model fed the same closed windows
        Instant generatedAt = Instant.parse(body.get("generated_at").asText());
        TokenForecaster model = TokenForecaster.create(ForecastSettings.defaults());
        sent.stream().filter(e -> e.getTimestamp().isBefore(generatedAt)).forEach(e -> model.observe(
                e.getTimestamp().toEpochMilli(), e.getPromptTokens(), e.getCompletionTokens()));
        ForecastResult expected = ForecastResult.of(model, 24, PriceTable.parse(PRICES), ForecastKey.UNKNOWN,
                ForecastKey.UNKNOWN);
        assertThat(body.get("estimated_tokens").asLong()).isEqualTo(Math.round(expected.estimatedTokens()));
        assertThat(body.get("lower").asLong()).isEqualTo(Math.round(expected.lower()));
        assertThat(body.get("upper").asLong()).isEqualTo(Math.round(expected.upper()));
        assertThat(body.get("method").asText()).isEqualTo(expected.method());
        assertThat(body.has("estimated_tokens")).isTrue();
        assertThat(body.has("estimated_cost_usd")).isTrue();
        assertThat(body.has("confidence")).isTrue();
        assertThat(body.get("lower").asLong()).isLessThanOrEqualTo(body.get("upper").asLong());
        assertThat(body.get("horizon_hours").asInt()).isEqualTo(24);

        HttpResponse<String> viaPost = edge.post("/v1/forecast", token,
                EdgeFixture.json(Map.of("tenant", tenant, "window_hours", 6)));
        assertThat(viaPost.statusCode()).as(viaPost.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(viaPost).get("horizon_hours").asInt()).isEqualTo(6);
    }

    @Test
    @Order(2)
    void shouldAnswerATenantsTotalOverItsModelsAndEachModelAlone() throws Exception {
        String tenant = "fc-models-" + System.nanoTime();
        Path data = TestPaths.dataDir();
        // the first LLMPerf file of three providers: one real request each, the provider's own model and tokens
        List<LlmPerfRecords.Request> requests = LlmPerfRecords.files(data).stream()
                .collect(Collectors.toMap(LlmPerfRecords::provider, f -> LlmPerfRecords.read(f).get(0), (a, b) -> a,
                        TreeMap::new))
                .values().stream().limit(3).toList();
        // after the first test's two days of event time, so no partition's stream time is past these windows
        Instant at = ServeGenEvents.EPOCH.plus(Duration.ofDays(3));
        List<ConversationEvent> events = new ArrayList<>();
        requests.forEach(r -> events.add(ofTenant(tenant, ReplayPlan.llmPerfEvent(r, at))));
        // a later request moves stream time past the windows' end plus the 5-minute grace, which closes them
        LlmPerfRecords.Request later = LlmPerfRecords.read(LlmPerfRecords.files(data).get(0)).get(1);
        events.add(ofTenant(tenant, ReplayPlan.llmPerfEvent(later, at.plus(Duration.ofMinutes(15)))));
        send(tenant, events);
        String token = edge.adminToken();

        JsonNode total = awaitForecast("/v1/forecast/" + tenant + "?window_hours=24", token, 3);
        LlmPerfRecords.Request second = requests.get(1);
        HttpResponse<String> one = edge.get("/v1/forecast/" + tenant + "?provider=" + second.provider(), token);
        HttpResponse<String> none = edge.get("/v1/forecast/" + tenant + "?provider=" + second.provider()
                + "&model=no-such-model", token);

        List<JsonNode> byModel = new ArrayList<>();
        total.get("by_model").forEach(byModel::add);
        assertThat(byModel).extracting(m -> m.get("provider").asText() + "/" + m.get("model").asText())
                .containsExactlyElementsOf(requests.stream().map(r -> r.provider() + "/" + r.model()).toList());
        assertThat(total.get("model").isNull()).isTrue();
        // the models of one replay are current together: none is left out of the total
        assertThat(byModel).allSatisfy(m -> assertThat(m.get("stale").asBoolean()).isFalse());
        assertThat(total.get("estimated_tokens").asLong())
                .isEqualTo(byModel.stream().mapToLong(m -> m.get("estimated_tokens").asLong()).sum());
        assertThat(total.get("upper").asLong())
                .isEqualTo(byModel.stream().mapToLong(m -> m.get("upper").asLong()).sum());
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(one).get("model").asText()).isEqualTo(second.model());
        assertThat(EdgeFixture.json(one).get("by_model")).hasSize(1);
        assertThat(none.statusCode()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void shouldSummariseACapsulesRealTokensForItsOwnTenantOnly() throws Exception {
        List<String> tenants = EdgeFixture.tenants("fc-capsule", 2);
        String tenant = tenants.get(0);
        String other = tenants.get(1);
        Path data = TestPaths.dataDir();
        String capsule = McpRegistry.read(McpRegistry.file(data)).get(0).capsuleId();
        // five real requests of each of two providers, two minutes apart (two 10-minute windows), after test 2
        List<LlmPerfRecords.Request> requests = LlmPerfRecords.files(data).stream()
                .filter(f -> f.getFileName().toString().matches("(together|groq)_70b\\.json"))
                .flatMap(f -> LlmPerfRecords.read(f).stream().limit(5)).toList();
        Instant at = ServeGenEvents.EPOCH.plus(Duration.ofDays(4));
        List<ConversationEvent> events = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            events.add(ConversationEvent.newBuilder(ofTenant(tenant, ReplayPlan.llmPerfEvent(requests.get(i),
                    at.plus(Duration.ofMinutes(2L * i))))).setCapsuleId(capsule).build());
        }
        // the tenant's usage outside the capsule, then a request past the windows' end plus grace, which closes them
        LlmPerfRecords.Request outside = LlmPerfRecords.read(LlmPerfRecords.files(data).get(0)).get(2);
        events.add(ofTenant(tenant, ReplayPlan.llmPerfEvent(outside, at.plus(Duration.ofMinutes(19)))));
        events.add(ofTenant(tenant, ReplayPlan.llmPerfEvent(outside, at.plus(Duration.ofMinutes(40)))));
        send(tenant, events);
        String token = edge.tokenFor(tenant, "capsule-reader", Set.of(Capability.FORECAST_READ));

        JsonNode summary = edge.awaitGet("the capsule's two models", "/v1/forecast/" + tenant + "/capsules/" + capsule,
                token, s -> s.get("forecast").get("by_model").size() == 2);

        PriceTable prices = PriceTable.parse(PRICES);
        long prompt = requests.stream().mapToLong(LlmPerfRecords.Request::inputTokens).sum();
        long completion = requests.stream().mapToLong(LlmPerfRecords.Request::outputTokens).sum();
        double cost = requests.stream().mapToDouble(r -> prices.priceOf(r.provider(), r.model()).orElseThrow()
                .cost(r.inputTokens(), r.outputTokens())).sum();
        for (String span : List.of("last_24h", "last_7d")) {
            JsonNode totals = summary.get(span);
            assertThat(totals.get("prompt_tokens").asLong()).as(span).isEqualTo(prompt);
            assertThat(totals.get("completion_tokens").asLong()).as(span).isEqualTo(completion);
            assertThat(totals.get("total_tokens").asLong()).as(span).isEqualTo(prompt + completion);
            assertThat(totals.get("requests").asLong()).as(span).isEqualTo(requests.size());
            assertThat(totals.get("cost_usd").asDouble()).as(span).isCloseTo(cost, within(1e-9 * cost));
        }
        assertThat(summary.get("as_of").asText()).isEqualTo(at.plus(Duration.ofMinutes(20)).toString());
        JsonNode forecast = summary.get("forecast");
        assertThat(forecast.get("horizon_hours").asInt()).isEqualTo(24);
        assertThat(forecast.get("lower").asLong()).isLessThanOrEqualTo(forecast.get("upper").asLong());

        String otherToken = edge.tokenFor(other, "capsule-reader", Set.of(Capability.FORECAST_READ));
        assertThat(edge.get("/v1/forecast/" + tenant + "/capsules/" + capsule, otherToken).statusCode())
                .isEqualTo(403);
        assertThat(edge.get("/v1/forecast/" + other + "/capsules/" + capsule, otherToken).statusCode())
                .isEqualTo(404);
        assertThat(edge.get("/v1/forecast/" + tenant + "/capsules/no-such-capsule", token).statusCode())
                .isEqualTo(404);

        // the marketplace entry shows each tenant its own summary of the capsule: this one's, and none to another
        McpRegistry.Entry entry = McpRegistry.read(McpRegistry.file(data)).get(0);
        Attestation attestation = ExampleCapsulePublisher.attest(entry,
                ExampleCapsulePublisher.privateKey(Path.of("..").resolve(ExampleCapsulePublisher.PRIVATE_KEY_FILE)));
        String publisher = edge.tokenFor(ExampleCapsulePublisher.PUBLISHER, "publisher",
                Set.of(Capability.MARKETPLACE_PUBLISH));
        assertThat(edge.post("/v1/marketplace/capsules", publisher, EdgeFixture.json(Map.of("capsule_id", capsule,
                "manifest", entry.manifest().toJson(), "attestation", Map.of("key_id", attestation.keyId(),
                        "algorithm", attestation.algorithm(), "signature", attestation.signature()))))
                .statusCode()).isEqualTo(202);
        String reader = edge.tokenFor(tenant, "catalog-reader", Set.of(Capability.MARKETPLACE_READ));
        JsonNode shown = edge.awaitGet("the capsule's entry", "/v1/marketplace/capsules/" + capsule, reader,
                e -> e.hasNonNull("token_summary"));
        assertThat(shown.get("token_summary").get("last_7d").get("total_tokens").asLong())
                .isEqualTo(prompt + completion);
        String otherReader = edge.tokenFor(other, "catalog-reader", Set.of(Capability.MARKETPLACE_READ));
        assertThat(EdgeFixture.json(edge.get("/v1/marketplace/capsules/" + capsule, otherReader))
                .get("token_summary").isNull()).isTrue();
    }

    @Test
    void shouldRefuseUnknownTenantsAndBadWindows() throws Exception {
        String token = edge.adminToken();
        assertThat(edge.get("/v1/forecast/no-such-tenant-" + System.nanoTime(), token).statusCode()).isEqualTo(404);
        HttpResponse<String> bad = edge.get("/v1/forecast/any?window_hours=0", token);
        assertThat(bad.statusCode()).isEqualTo(422);
        assertThat(EdgeFixture.json(bad).get("error").asText()).isEqualTo("invalid");
        assertThat(edge.post("/v1/forecast", token, EdgeFixture.json(Map.of("tenant", "any", "window_hours", 1000)))
                .statusCode()).isEqualTo(422);
    }

    /** Sends the events in order under the tenant's key, as the orchestrators would. */
    private static void send(String tenant, List<ConversationEvent> events) {
        try (KafkaProducer<String, ConversationEvent> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", edge.config().bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(edge.config().schemaRegistryUrl()), false, true))) {
            for (ConversationEvent e : events) {
                producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), tenant, e));
            }
        }
    }

    /** The forecast at {@code path} once it covers {@code models} provider/models. */
    private static JsonNode awaitForecast(String path, String token, int models) {
        JsonNode body = edge.awaitGet("a forecast over " + models + " model(s)", path, token,
                forecast -> forecast.get("by_model").size() >= models);
        assertThat(body.get("by_model")).as(body.toString()).hasSize(models);
        return body;
    }

    private static ConversationEvent ofTenant(String tenant, ConversationEvent e) {
        return ConversationEvent.newBuilder(e).setTenant(tenant).setSessionId(tenant)
                .setEventId(tenant + ":" + e.getEventId()).build();
    }
}
