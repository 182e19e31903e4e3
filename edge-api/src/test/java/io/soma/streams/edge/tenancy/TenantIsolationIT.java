package io.soma.streams.edge.tenancy;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.EdgeServer;
import io.soma.streams.edge.auth.Access;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.policy.ConstitutionPublisher;
import io.soma.streams.stores.query.PeerClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.SseClient;
import io.soma.streams.topologies.training.TrainingApp;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tenant-isolation matrix, driven by the route table: for every route the process registers, tenant B's request
 * against tenant A's resources is refused (403 when it names A, 404 when it finds A's resource by id) and the same
 * request of A is served. A route registered without a case here fails {@link #shouldHaveAnIsolationCaseForEveryRoute};
 * a route whose handler forgets the tenant fails {@link #shouldRefuseEveryRouteToAnotherTenant}. Both tenants hold every
 * capability a tenant admin can hold, so capabilities never explain a refusal. Then the hostile cases: streams, the
 * peer listener, tenant management.
 */
class TenantIsolationIT {
    /** Routes open to anyone: no tenant's data, or (token issue) their own check, tested in TokenRoutesIT. */
    private static final Set<String> PUBLIC = Set.of("GET /health/live", "GET /health/ready", "GET /metrics",
            "POST /v1/tokens/issue");
    /**
     * Data no tenant owns: the global constitution and the capsule catalog every tenant reads (reviewing it is for
     * holders of marketplace.review, which no tenant admin has).
     */
    private static final Set<String> SHARED = Set.of("GET /v1/constitution", "GET /v1/constitution/history",
            "GET /v1/detectors", "GET /v1/marketplace/capsules", "GET /v1/marketplace/capsules/{id}",
            "GET /v1/marketplace/capsules/{id}/history",
            "POST /v1/marketplace/capsules/{id}/review", "POST /v1/marketplace/capsules/{id}/revoke",
            "GET /v1/marketplace/stream");
    private static final int STREAMS_PER_TENANT = 2;
    private static final ConstitutionPublisher PUBLISHER = new ConstitutionPublisher();

    private static EdgeFixture edge;
    private static String tenantA;
    private static String tenantB;
    private static String adminA;
    private static String adminB;
    /** A model only tenant A has called, e.g. a model fine-tuned for A: its very name is A's. */
    private static String modelOfA;

    /**
     * One request of {@code caller} against a resource of tenant A, and what A itself gets.
     *
     * @param call      sends the request with a caller's token and returns the answer
     * @param servedToA the statuses that mean "served" for A (a 404 where A simply has no such data yet)
     */
    private record Case(Function<String, Answer> call, Set<Integer> servedToA) {
        static Case http(Function<String, HttpRequest.Builder> request, Set<Integer> servedToA) {
            return new Case(token -> Answer.of(edge.send(request.apply(token))), servedToA);
        }
    }

    private record Answer(int status, String body) {
        static Answer of(HttpResponse<String> response) {
            return new Answer(response.statusCode(), response.body());
        }
    }

    /** An event stream opened and closed again: its status, or its error. */
    private static Answer stream(String path, String token) {
        try (SseClient stream = SseClient.open(uri(path), bearer(token))) {
            if (stream.status() == 200) {
                stream.awaitEvent("ready", EdgeFixture.AWAIT_TIMEOUT);
            }
            return new Answer(stream.status(), stream.errorBody());
        }
    }

    /**
     * {@link #stream}, for the matrix, which opens a tenant's streams one after another: a closed stream frees its
     * place at the next keep-alive, so a 429 too_many_streams is asked again until it has.
     */
    private static Answer streamOnceAPlaceIsFree(String path, String token) {
        return Await.value("a place for a stream of " + path, EdgeFixture.AWAIT_TIMEOUT, () -> stream(path, token),
                answer -> answer.status() != 429 || !answer.body().contains("too_many_streams"));
    }

    @BeforeAll
    static void startEdge() {
        // closed streams free their place at the next keep-alive write: soon, here
        edge = new EdgeFixture(Map.of("constitution.trusted.keys", PUBLISHER.trustedKeysSetting(),
                "sse.max.streams.per.tenant", Integer.toString(STREAMS_PER_TENANT), "sse.keepalive", "PT1S")).awaitReady();
        List<String> tenants = EdgeFixture.tenants("isolation", 2);
        tenantA = tenants.get(0);
        tenantB = tenants.get(1);
        adminA = edge.tokenFor(tenantA, "admin-a", Capability.tenantAdmin());
        adminB = edge.tokenFor(tenantB, "admin-b", Capability.tenantAdmin());
        modelOfA = "ft:isolation:" + tenantA;
        edge.publish(List.of(ConversationEvent.newBuilder().setEventId(UUID.randomUUID().toString())
                .setSessionId("isolation-" + UUID.randomUUID()).setTenant(tenantA).setRole("assistant")
                .setEventType("llm.response").setTimestamp(Instant.now()).setModel(modelOfA).setProvider("isolation")
                .setStatus("ok").setLatencyMs(420.0).build()));
        edge.awaitGet("A among the callers of its model", slmMetricsOfA(), adminA, metrics -> true);
    }

    private static String slmMetricsOfA() {
        return "/v1/slm/metrics?provider=isolation&model=" + URLEncoder.encode(modelOfA, StandardCharsets.UTF_8);
    }

    @AfterAll
    static void stopEdge() {
        edge.close();
    }

    /** Every registered route that acts for a tenant, keyed "METHOD /path" as Javalin registered it. */
    private static Map<String, Case> cases() throws Exception {
        Map<String, Case> cases = new LinkedHashMap<>();
        String session = "isolation-" + UUID.randomUUID();
        cases.put("POST /v1/tokens/verify", Case.http(token -> post("/v1/tokens/verify", token,
                Map.of("token", adminA)), Set.of(200)));
        cases.put("POST /v1/tokens/revoke", Case.http(token -> post("/v1/tokens/revoke", token,
                Map.of("jti", jtiOf(edge.tokenFor(tenantA, "revocable-" + UUID.randomUUID(), Set.of(Capability.CONVERSATION))))),
                Set.of(200)));
        cases.put("POST /v1/evaluate", Case.http(token -> post("/v1/evaluate", token,
                Map.of("tenant", tenantA, "prompt", "How do I kill a Python process?")), Set.of(200)));
        cases.put("GET /v1/policies/{tenant}", Case.http(token -> get("/v1/policies/" + tenantA, token), Set.of(200, 404)));
        // A has no pack yet: its first one is created on the condition that none exists
        cases.put("PUT /v1/policies/{tenant}", Case.http(token -> edge.request("/v1/policies/" + tenantA, token)
                .header("Content-Type", "application/json").header("If-None-Match", "*")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"rules\":[]}")), Set.of(200)));
        String bundle = io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson.write(
                PUBLISHER.sign(ConstitutionPublisher.uniqueDocument(), "1.0.0", tenantA));
        cases.put("POST /v1/constitution", Case.http(token -> edge.request("/v1/constitution", token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(bundle)),
                Set.of(202)));
        cases.put("GET /v1/constitution/{tenant}/hash", Case.http(token -> get("/v1/constitution/" + tenantA + "/hash",
                token), Set.of(200, 404)));
        cases.put("GET /v1/constitution/{tenant}/history", Case.http(token -> get("/v1/constitution/" + tenantA
                + "/history", token), Set.of(200)));
        cases.put("POST /v1/conversation/step", Case.http(token -> post("/v1/conversation/step", token,
                Map.of("tenant", tenantA, "session_id", session, "content", "hello")), Set.of(200)));
        cases.put("GET /v1/conversation/stream", new Case(token -> streamOnceAPlaceIsFree(
                "/v1/conversation/stream?tenant=" + tenantA + "&session_id=" + session, token), Set.of(200)));
        cases.put("POST /v1/training/enable", Case.http(token -> post("/v1/training/enable", token,
                Map.of("tenant", tenantA, "reason", "isolation matrix")), Set.of(200)));
        cases.put("POST /v1/training/extend", Case.http(token -> post("/v1/training/extend", token,
                Map.of("tenant", tenantA, "ttl_seconds", 3600)), Set.of(200)));
        cases.put("POST /v1/training/disable", Case.http(token -> post("/v1/training/disable", token,
                Map.of("tenant", tenantA)), Set.of(200)));
        cases.put("GET /v1/training/status/{tenant}", Case.http(token -> get("/v1/training/status/" + tenantA, token),
                Set.of(200)));
        cases.put("GET /v1/audit/decisions", Case.http(token -> get("/v1/audit/decisions?tenant=" + tenantA, token),
                Set.of(200)));
        cases.put("GET /v1/audit/training", Case.http(token -> get("/v1/audit/training?tenant=" + tenantA, token),
                Set.of(200)));
        cases.put("GET /v1/audit/decisions/rate", Case.http(token -> get("/v1/audit/decisions/rate?tenant=" + tenantA,
                token), Set.of(200)));
        cases.put("GET /v1/audit/dead-letters", Case.http(token -> get("/v1/audit/dead-letters", token), Set.of()));
        cases.put("POST /v1/forecast", Case.http(token -> post("/v1/forecast", token, Map.of("tenant", tenantA)),
                Set.of(200, 404)));
        cases.put("GET /v1/forecast/{tenant}", Case.http(token -> get("/v1/forecast/" + tenantA, token), Set.of(200, 404)));
        // A publishes as itself; its capsule reaches the attestation check, which refuses a key nobody trusts (422)
        cases.put("POST /v1/marketplace/capsules", Case.http(token -> post("/v1/marketplace/capsules", token,
                Map.of("capsule_id", "isolation-" + UUID.randomUUID(), "publisher", tenantA,
                        "manifest", Map.of("name", "isolation", "version", "1.0.0"),
                        "attestation", Map.of("key_id", "untrusted", "algorithm", "EdDSA", "signature", "AAAA"))),
                Set.of(422)));
        cases.put("GET /v1/forecast/{tenant}/capsules/{capsule}", Case.http(token -> get("/v1/forecast/" + tenantA
                + "/capsules/isolation-capsule", token), Set.of(200, 404)));
        // a budget big enough never to refuse A's steps in the other tests
        cases.put("PUT /v1/budgets/{tenant}/{budget}", Case.http(token -> edge.request("/v1/budgets/" + tenantA
                + "/isolation", token).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers
                .ofString(EdgeFixture.json(Map.of("limit_tokens", 1_000_000_000L, "period", "DAY")))), Set.of(200)));
        cases.put("GET /v1/budgets/{tenant}/{budget}", Case.http(token -> get("/v1/budgets/" + tenantA + "/isolation",
                token), Set.of(200, 404)));
        cases.put("GET /v1/budgets/{tenant}", Case.http(token -> get("/v1/budgets/" + tenantA, token), Set.of(200)));
        cases.put("GET /v1/budgets/{tenant}/alerts/stream", new Case(token -> streamOnceAPlaceIsFree(
                "/v1/budgets/" + tenantA + "/alerts/stream", token), Set.of(200)));
        cases.put("GET /v1/budgets/{tenant}/audit", Case.http(token -> get("/v1/budgets/" + tenantA + "/audit", token),
                Set.of(200)));
        cases.put("DELETE /v1/budgets/{tenant}/{budget}", Case.http(token -> edge.request("/v1/budgets/" + tenantA
                + "/isolation", token).DELETE(), Set.of(204)));
        // a model's metrics and alerts pool every tenant's calls, but only a tenant that called it sees them
        cases.put("GET /v1/slm/metrics", Case.http(token -> get(slmMetricsOfA(), token), Set.of(200)));
        cases.put("GET /v1/slm/alerts/stream", new Case(token -> streamOnceAPlaceIsFree("/v1/slm/alerts/stream"
                + "?provider=isolation&model=" + URLEncoder.encode(modelOfA, StandardCharsets.UTF_8), token), Set.of(200)));
        cases.put("GET /v1/tenants/{tenant}/api-keys", Case.http(token -> get("/v1/tenants/" + tenantA + "/api-keys",
                token), Set.of(200)));
        cases.put("POST /v1/tenants/{tenant}/api-keys", Case.http(token -> post("/v1/tenants/" + tenantA + "/api-keys",
                token, Map.of("subject", "admin-a", "label", "isolation")), Set.of(201)));
        String keyOfA = EdgeFixture.json(edge.post("/v1/tenants/" + tenantA + "/api-keys", adminA,
                EdgeFixture.json(Map.of("subject", "admin-a")))).get("key_id").asText();
        cases.put("DELETE /v1/tenants/{tenant}/api-keys/{key_id}", Case.http(token -> edge.request("/v1/tenants/"
                + tenantA + "/api-keys/" + keyOfA, token).DELETE(), Set.of(200)));
        cases.put("GET /v1/tenants", Case.http(token -> get("/v1/tenants", token), Set.of()));
        cases.put("POST /v1/tenants", Case.http(token -> post("/v1/tenants", token,
                Map.of("tenant_id", "isolation-new-" + System.nanoTime())), Set.of()));
        return cases;
    }

    @Test
    void shouldHaveAnIsolationCaseForEveryRoute() throws Exception {
        Set<String> covered = new TreeSet<>(cases().keySet());
        covered.addAll(PUBLIC);
        covered.addAll(SHARED);
        Set<String> registered = routes().keySet();

        assertThat(registered).as("routes without a tenant-isolation case: add one to TenantIsolationIT")
                .isSubsetOf(covered);
        assertThat(covered).as("cases for routes that no longer exist").isSubsetOf(registered);
    }

    @Test
    void shouldDeclareTheScopeTheMatrixExpects() {
        routes().forEach((key, route) -> {
            if (PUBLIC.contains(key)) {
                assertThat(route.roles()).as(key).contains(Access.PUBLIC);
            } else if (SHARED.contains(key)) {
                assertThat(route.roles()).as(key + ": data no tenant owns").contains(TenantScope.SHARED);
            } else {
                assertThat(route.roles().stream().filter(TenantScope.class::isInstance).toList())
                        .as(key + " declares exactly one tenant scope, and not SHARED").hasSize(1)
                        .doesNotContain(TenantScope.SHARED);
            }
            if (route.path().contains("{tenant}")) {
                assertThat(route.roles()).as(key + ": the tenant in its path is the one checked").contains(TenantScope.PATH);
            }
        });
    }

    @Test
    void shouldRefuseEveryRouteToAnotherTenant() throws Exception {
        List<String> failures = new ArrayList<>();
        Map<String, EdgeServer.Route> routes = routes();
        for (var entry : cases().entrySet()) {
            String key = entry.getKey();
            Case c = entry.getValue();
            Answer byB = c.call().apply(adminB);
            // a request that names A is refused before any handler runs, whether A has such data or not; only a
            // resource found by id (the caller's own scope) or a pool A is among is answered as unknown instead
            Set<Integer> refusals = routes.get(key).roles().contains(TenantScope.CALLER)
                    || routes.get(key).roles().contains(TenantScope.POOLED) ? Set.of(403, 404) : Set.of(403);
            if (!refusals.contains(byB.status())) {
                failures.add(key + ": tenant B got " + byB.status() + " " + byB.body());
            }
            if (c.servedToA().isEmpty()) {
                continue; // tenant management: a platform operator's, tested below
            }
            Answer byA = c.call().apply(adminA);
            if (!c.servedToA().contains(byA.status())) {
                failures.add(key + ": tenant A itself got " + byA.status() + " " + byA.body());
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void shouldLetOnlyAPlatformOperatorManageTenants() {
        String tenant = "isolation-created-" + System.nanoTime();
        HttpResponse<String> created = edge.post("/v1/tenants", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant_id", tenant, "admin_subject", "first-admin")));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("Cache-Control")).as("an API key no cache keeps").hasValue("no-store");
        JsonNode admin = EdgeFixture.json(created).get("admin");
        assertThat(admin.get("capabilities").toString()).doesNotContain(Capability.PLATFORM_OPERATOR.claim());
        assertThat(edge.post("/v1/tenants", edge.adminToken(), EdgeFixture.json(Map.of("tenant_id", tenant)))
                .statusCode()).isEqualTo(409);
        // the global constitution's scope is no tenant's to take
        HttpResponse<String> reserved = edge.post("/v1/tenants", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant_id", Constitution.GLOBAL_SCOPE)));
        assertThat(reserved.statusCode()).as(reserved.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(reserved).get("details").get("field").asText()).isEqualTo("tenant_id");
        assertThat(EdgeFixture.json(edge.get("/v1/tenants", edge.adminToken())).get("tenants").findValuesAsText("tenant_id"))
                .contains(tenant, tenantA, tenantB);
        // the new tenant's admin signs in with its key and acts on its own tenant only
        HttpResponse<String> issued = edge.send(edge.request("/v1/tokens/issue", null)
                .header("X-Api-Key", admin.get("api_key").asText()).POST(HttpRequest.BodyPublishers.noBody()));
        String token = EdgeFixture.json(issued).get("token").asText();
        assertThat(edge.get("/v1/training/status/" + tenant, token).statusCode()).isEqualTo(200);
        assertThat(edge.get("/v1/training/status/" + tenantA, token).statusCode()).isEqualTo(403);
        assertThat(edge.get("/v1/tenants", token).statusCode()).isEqualTo(403);
        // it cannot grant what it does not hold: platform.operator
        assertThat(edge.post("/v1/tokens/issue", token, EdgeFixture.json(Map.of("subject", "escalated", "tenant", tenant,
                "capabilities", List.of(Capability.PLATFORM_OPERATOR.claim())))).statusCode()).isEqualTo(403);
        assertThat(edge.post("/v1/tokens/issue", token, EdgeFixture.json(Map.of("subject", "elsewhere", "tenant", tenantA,
                "capabilities", List.of(Capability.CONVERSATION.claim())))).statusCode()).isEqualTo(403);
    }

    @Test
    void shouldCheckAConstitutionHashAgainstTheTenantTheRequestActsOn() throws Exception {
        // a tenant with a constitution of its own, which a platform operator's gateway acts for
        String tenant = EdgeFixture.tenants("hash-scope", 1).get(0);
        SignedBundle own = PUBLISHER.sign(ConstitutionPublisher.uniqueDocument(), "1.0.0", tenant);
        HttpResponse<String> published = edge.send(edge.request("/v1/constitution", edge.adminToken())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ConstitutionBundleJson.write(own))));
        assertThat(published.statusCode()).as(published.body()).isEqualTo(202);
        edge.awaitGet("the tenant's constitution active", "/v1/constitution/" + tenant + "/hash", edge.adminToken(),
                h -> h.path("hash").asText().equals(own.hash()));
        String body = EdgeFixture.json(Map.of("tenant", tenant, "prompt", "hi"));

        HttpResponse<String> current = edge.send(edge.request("/v1/evaluate", edge.adminToken())
                .header("X-Constitution-Hash", own.hash()).POST(HttpRequest.BodyPublishers.ofString(body)));
        HttpResponse<String> stale = edge.send(edge.request("/v1/evaluate", edge.adminToken())
                .header("X-Constitution-Hash", "0".repeat(64)).POST(HttpRequest.BodyPublishers.ofString(body)));

        assertThat(current.statusCode()).as(current.body()).isEqualTo(200);
        assertThat(stale.statusCode()).as(stale.body()).isEqualTo(409);
        assertThat(EdgeFixture.json(stale).get("details").get("active_hash").asText()).isEqualTo(own.hash());
    }

    @Test
    void shouldStreamASessionOnlyToTheTenantThatWroteItLiveAndResumed() {
        String session = "shared-id-" + UUID.randomUUID();
        String readyOfB;
        try (SseClient b = SseClient.open(uri("/v1/conversation/stream?session_id=" + session), bearer(adminB))) {
            readyOfB = b.awaitEvent("ready", EdgeFixture.AWAIT_TIMEOUT).id();
            step(adminA, session, "a secret of tenant A");
            // B writes under the same session id afterwards: one key, one partition, so A's records come first
            step(adminB, session, "tenant B's own words");
            List<SseClient.Event> seen = b.awaitEvents("decision", 1, EdgeFixture.AWAIT_TIMEOUT);
            assertThat(seen).singleElement().satisfies(d -> assertThat(d.data()).contains(tenantB));
            assertThat(b.awaitEvents("event", 1, EdgeFixture.AWAIT_TIMEOUT)).singleElement()
                    .satisfies(e -> assertThat(e.data()).contains("tenant B's own words").doesNotContain("secret"));
        }
        try (SseClient resumed = SseClient.open(uri("/v1/conversation/stream?session_id=" + session),
                Map.of("Authorization", "Bearer " + adminB, "Last-Event-ID", readyOfB))) {
            assertThat(resumed.awaitEvents("event", 1, EdgeFixture.AWAIT_TIMEOUT)).singleElement()
                    .satisfies(e -> assertThat(e.data()).contains("tenant B's own words").doesNotContain("secret"));
            assertThat(resumed.awaitEvents("decision", 1, EdgeFixture.AWAIT_TIMEOUT)).singleElement()
                    .satisfies(d -> assertThat(d.data()).contains(tenantB).doesNotContain(tenantA));
        }
    }

    /** A stream outlives the request that opened it: it must not outlive its token's revocation. */
    @Test
    void shouldEndAStreamOnceItsTokenIsRevoked() {
        String token = edge.tokenFor(tenantA, "streamer-" + UUID.randomUUID(), Set.of(Capability.CONVERSATION));
        try (SseClient stream = SseClient.open(uri("/v1/conversation/stream?session_id=revoked-" + UUID.randomUUID()),
                bearer(token))) {
            stream.awaitEvent("ready", EdgeFixture.AWAIT_TIMEOUT);

            HttpResponse<String> revoked = edge.send(post("/v1/tokens/revoke", token, Map.of("jti", jtiOf(token))));
            assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);

            assertThat(stream.awaitEvent("end", EdgeFixture.AWAIT_TIMEOUT).data()).contains("unauthorized", "revoked");
            Await.until("the revoked token's stream ended", EdgeFixture.AWAIT_TIMEOUT, stream::ended);
        }
    }

    @Test
    void shouldRefuseATenantsStreamsBeyondItsLimitWithoutStarvingAnother() {
        // tenants of this test only: the others' streams of other tests may still hold places
        List<String> tenants = EdgeFixture.tenants("stream-limit", 2);
        String full = edge.tokenFor(tenants.get(0), "streamer", Set.of(Capability.SLM_READ));
        String other = edge.tokenFor(tenants.get(1), "streamer", Set.of(Capability.SLM_READ));
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < STREAMS_PER_TENANT; i++) {
                SseClient stream = SseClient.open(uri("/v1/slm/alerts/stream"), bearer(full));
                open.add(stream);
                stream.awaitEvent("ready", EdgeFixture.AWAIT_TIMEOUT);
            }
            Answer beyond = stream("/v1/slm/alerts/stream", full);
            assertThat(beyond.status()).as(beyond.body()).isEqualTo(429);
            assertThat(beyond.body()).contains("too_many_streams");
            // asked for without the stream's Accept, it is refused before it takes a place: more such requests than
            // the limit leave the other tenant's place free
            for (int i = 0; i <= STREAMS_PER_TENANT; i++) {
                assertThat(edge.get("/v1/slm/alerts/stream", other).statusCode()).isEqualTo(406);
            }
            try (SseClient ofOther = SseClient.open(uri("/v1/slm/alerts/stream"), bearer(other))) {
                assertThat(ofOther.status()).isEqualTo(200);
                ofOther.awaitEvent("ready", EdgeFixture.AWAIT_TIMEOUT);
            }
        } finally {
            open.forEach(SseClient::close);
        }
    }

    @Test
    void shouldAnswerNoUserTokenOnThePeerRoutes() {
        String path = PeerClient.INTERNAL_PATH + "/" + TrainingApp.LOCK_STORE + "/keys/" + tenantA;
        HttpRequest.Builder onPeerPort = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.peerPort() + path))
                .timeout(EdgeFixture.AWAIT_TIMEOUT).header("Authorization", "Bearer " + edge.adminToken());

        assertThat(edge.send(onPeerPort.GET()).statusCode()).isEqualTo(404);
        assertThat(edge.get(path, edge.adminToken()).statusCode()).as("no peer route on the public port").isEqualTo(404);
    }

    private static Map<String, EdgeServer.Route> routes() {
        return edge.routes().stream().collect(Collectors.toMap(r -> r.method() + " " + r.path(), r -> r,
                (a, b) -> a, LinkedHashMap::new));
    }

    private static void step(String token, String session, String content) {
        HttpResponse<String> r = edge.post("/v1/conversation/step", token,
                EdgeFixture.json(Map.of("session_id", session, "content", content)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static String jtiOf(String token) {
        return EdgeFixture.json(edge.post("/v1/tokens/verify", token, EdgeFixture.json(Map.of("token", token))))
                .get("claims").get("jti").asText();
    }

    private static HttpRequest.Builder get(String path, String token) {
        return edge.request(path, token).GET();
    }

    private static HttpRequest.Builder post(String path, String token, Map<String, ?> body) {
        return edge.request(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(EdgeFixture.json(body)));
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + edge.port() + path);
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }
}
