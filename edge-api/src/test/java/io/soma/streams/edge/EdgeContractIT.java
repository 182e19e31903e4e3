package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.edge.OpenApiDocument.Operation;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.http.BodyFields;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.DecisionArchiveQuery;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.replay.AzureTrace;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edge's HTTP contract on the real stack (broker, registry, Redis, PostgreSQL): hostile bodies on every POST and
 * PUT route are 4xx JSON errors and never 5xx, authentication and capabilities are enforced, the per-tenant rate
 * limit answers 429 with Retry-After, and the audit archive pages every decision exactly once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeContractIT {
    private static final long SEED = 20261123L;
    private static final int FITTING_BODIES_PER_ROUTE = 8;
    private static final int ARCHIVED_DECISIONS = 40;
    private static final int PAGE_SIZE = 7;

    private static EdgeFixture edge;
    private static OpenApiDocument doc;

    @BeforeAll
    static void start() throws Exception {
        // a limit far above this test's request rate: 429s would hide the answers under test
        edge = new EdgeFixture(Map.of("ratelimit.tenant.per.second", "100000", "ratelimit.tenant.burst", "100000"))
                .awaitReady();
        doc = OpenApiDocument.ofProject();
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldRefuseHostileBodiesOnEveryRouteWithABodyWithJsonErrors() throws Exception {
        String tenant = EdgeFixture.tenants("contract", 1).get(0);
        String token = edge.tokenFor(tenant, "fuzzer", Capability.all());
        RandomBodies bodies = new RandomBodies(new Random(SEED), doc);
        for (EdgeServer.Route route : bodyRoutes()) {
            JsonNode schema = documented(route).requestSchema();
            for (Map.Entry<String, byte[]> body : bodies.malformed(schema).entrySet()) {
                HttpResponse<String> response = send(route.method(), concrete(route, tenant), token, body.getValue());
                assertJsonError(response, route.path() + " with " + body.getKey());
            }
            // a handler may ignore an optional field it does not use, but never fail on it
            for (Map.Entry<String, byte[]> body : bodies.mistypedOptional(schema).entrySet()) {
                HttpResponse<String> response = send(route.method(), concrete(route, tenant), token, body.getValue());
                assertNoServerError(response, route.path() + " with " + body.getKey());
            }
            for (int i = 0; i < FITTING_BODIES_PER_ROUTE; i++) {
                byte[] body = RandomBodies.json(bodies.fitting(schema));
                HttpResponse<String> response = send(route.method(), concrete(route, tenant), token, body);
                assertNoServerError(response, route.path() + " with " + new String(body, StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * A misspelt field must not be a silently applied default: every route with a body declares its fields, the
     * same as docs/openapi.yaml documents, and refuses any other with 422 naming it, before the handler acts.
     */
    @Test
    void shouldRefuseABodyFieldTheRouteDoesNotTakeNamingIt() throws Exception {
        String tenant = EdgeFixture.tenants("contract", 1).get(0);
        String token = edge.tokenFor(tenant, "fields", Capability.all());
        for (EdgeServer.Route route : bodyRoutes()) {
            Set<String> declared = route.roles().stream().filter(BodyFields.class::isInstance)
                    .map(role -> ((BodyFields) role).names()).findFirst().orElse(null);
            assertThat(declared).as(route + " declares its body's fields (BodyFields) in EdgeRoutes").isNotNull();
            Set<String> documented = new TreeSet<>();
            doc.resolve(documented(route).requestSchema()).path("properties").fieldNames()
                    .forEachRemaining(documented::add);
            assertThat(new TreeSet<>(declared)).as(route + ": the fields docs/openapi.yaml documents")
                    .isEqualTo(documented);

            Map<String, Object> body = new LinkedHashMap<>();
            body.put("hard_limt", 1);
            if (declared.contains("tenant")) {
                body.put("tenant", tenant);
            }
            HttpResponse<String> response = send(route.method(), concrete(route, tenant), token,
                    EdgeFixture.json(body).getBytes(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).as(route + ": " + response.body()).isEqualTo(422);
            assertThat(EdgeFixture.json(response).path("details").path("field").asText()).as(route.toString())
                    .isEqualTo("hard_limt");
        }
    }

    @Test
    void shouldAnswer413ToBodiesOverOneMebibyte() throws Exception {
        String tenant = EdgeFixture.tenants("huge", 1).get(0);
        String token = edge.tokenFor(tenant, "big", Capability.all());
        byte[] huge = ("{\"tenant\":\"" + "x".repeat((int) EdgeServer.MAX_REQUEST_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        for (EdgeServer.Route route : bodyRoutes()) {
            HttpResponse<String> response = send(route.method(), concrete(route, tenant), token, huge);
            assertThat(response.statusCode()).as(route.path()).isEqualTo(413);
            assertJsonError(response, route.path() + " with 1 MiB + 13 bytes");
        }
    }

    @Test
    void shouldAnswer413ToOversizedBodiesOnEveryRouteBeforeAuthentication() throws Exception {
        byte[] huge = new byte[EdgeServer.MAX_REQUEST_BYTES + 64 * 1024];
        List<String> targets = new ArrayList<>(edge.routes().stream()
                .map(r -> r.method() + " " + concrete(r, "nobody")).toList());
        targets.add("POST /no/such/route");
        for (String target : targets) {
            String method = target.substring(0, target.indexOf(' '));
            String path = target.substring(target.indexOf(' ') + 1);
            HttpResponse<String> chunked = send(edge, method, path, null, chunked(huge));
            HttpResponse<String> declared = send(edge, method, path, null, HttpRequest.BodyPublishers.ofByteArray(huge));
            for (HttpResponse<String> response : List.of(chunked, declared)) {
                assertThat(response.statusCode()).as(target + ": " + response.body()).isEqualTo(413);
                assertJsonError(response, target + " without a token");
                assertThat(EdgeFixture.json(response).get("error").asText()).isEqualTo("payload_too_large");
            }
        }
    }

    @Test
    void shouldReadAChunkedBodyUnderTheLimit() throws Exception {
        String token = edge.tokenFor(EdgeFixture.tenants("chunked", 1).get(0), "chunky", Set.of());
        byte[] body = EdgeFixture.json(Map.of("token", token)).getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = send(edge, "POST", "/v1/tokens/verify", token, chunked(body));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(response).get("valid").asBoolean()).isTrue();
    }

    @Test
    void shouldAnswer401WithAChallengeWithoutAToken() throws Exception {
        for (EdgeServer.Route route : bodyRoutes()) {
            HttpResponse<String> response = send(route.method(), concrete(route, "nobody"), null,
                    "{}".getBytes(StandardCharsets.UTF_8));
            assertThat(response.statusCode()).as(route.path()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).as(route.path())
                    .hasValueSatisfying(challenge -> assertThat(challenge).startsWith("Bearer"));
            assertJsonError(response, route.path() + " without a token");
        }
    }

    @Test
    void shouldReadJsonAsUtf8WhateverCharsetTheContentTypeNames() throws Exception {
        String token = edge.tokenFor(EdgeFixture.tenants("charset", 1).get(0), "quoted", Set.of());
        byte[] verify = EdgeFixture.json(Map.of("token", token)).getBytes(StandardCharsets.UTF_8);
        for (String type : List.of("application/json; charset=\"utf-8\"", "application/json; charset=x-bogus",
                "application/json; charset")) {
            for (EdgeServer.Route route : bodyRoutes()) {
                HttpResponse<String> response = edge.send(edge.request(concrete(route, "nobody"), null)
                        .header("Content-Type", type).method(route.method(), HttpRequest.BodyPublishers.ofString("{}")));
                assertJsonError(response, route.path() + " with " + type);
            }
            HttpResponse<String> verified = edge.send(edge.request("/v1/tokens/verify", token)
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(verify)));
            assertThat(verified.statusCode()).as(type + ": " + verified.body()).isEqualTo(200);
        }
    }

    @Test
    void shouldAnswerARequestJettyCannotParseWithoutAStackTrace() throws Exception {
        for (String request : List.of(
                // a chunk size that is no hex number
                "POST /v1/tokens/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
                // a path with an encoded slash, which Jetty refuses as ambiguous
                "GET /v1/training/status/a%2Fb HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", edge.port())) {
                socket.setSoTimeout(30_000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as(answer).startsWith("HTTP/1.1 4").doesNotContain("\tat ", "Caused by", "Exception");
            }
        }
    }

    @Test
    void shouldAnswer403ToATokenWithoutTheRoutesCapability() throws Exception {
        String tenant = EdgeFixture.tenants("lacking", 1).get(0);
        List<EdgeServer.Route> guarded = edge.routes().stream()
                .filter(r -> r.roles().stream().anyMatch(Capability.class::isInstance)).toList();
        assertThat(guarded).isNotEmpty();
        for (EdgeServer.Route route : guarded) {
            Set<Capability> others = Capability.all();
            others.removeIf(route.roles()::contains);
            String token = edge.tokenFor(tenant, "without-" + route.path().hashCode(), others);
            HttpResponse<String> response = send(route.method(), concrete(route, tenant), token,
                    route.method().equals("GET") ? null : EdgeFixture.json(Map.of("tenant", tenant)).getBytes());
            assertThat(response.statusCode()).as(route.method() + " " + route.path()).isEqualTo(403);
            assertJsonError(response, route.path() + " without its capability");
        }
    }

    @Test
    void shouldAnswerIncompleteStreamRequestsWithJsonErrorsBeforeStreaming() throws Exception {
        String tenant = EdgeFixture.tenants("stream", 1).get(0);
        String token = edge.tokenFor(tenant, "watcher", Set.of(Capability.CONVERSATION, Capability.SLM_READ));
        for (String incomplete : List.of("/v1/conversation/stream", "/v1/slm/alerts/stream?model=llama-2-7b-chat")) {
            HttpResponse<String> response = send("GET", incomplete, token, null);
            assertThat(response.statusCode()).as(incomplete + ": " + response.body()).isEqualTo(400);
            assertJsonError(response, incomplete);
        }
    }

    @Test
    // last: its second process joins the Streams apps' groups, and the tasks move while it starts and stops
    @Order(Integer.MAX_VALUE)
    void shouldRateLimitATenantWith429AndRetryAfterWithoutSlowingAnother() throws Exception {
        List<String> tenants = EdgeFixture.tenants("limited", 3);
        // a bucket of two that refills one request a second: twenty requests at once overdraw it unless they took
        // 18 s together (sent one after the other, each issue writing to PostgreSQL, Redis and Kafka, they could)
        try (EdgeFixture limited = new EdgeFixture(Map.of("ratelimit.tenant.per.second", "1",
                "ratelimit.tenant.burst", "2"))) {
            String busy = limited.tokenFor(tenants.get(0), "busy", Set.of(Capability.CONVERSATION));
            String quiet = limited.tokenFor(tenants.get(1), "quiet", Set.of(Capability.CONVERSATION));
            byte[] verify = EdgeFixture.json(Map.of("token", busy)).getBytes(StandardCharsets.UTF_8);
            List<HttpResponse<String>> burst = atOnce(20, () -> send(limited, "POST", "/v1/tokens/verify", busy, verify));
            // a token of the caller's own tenant: another tenant's token is not for it to verify
            HttpResponse<String> other = send(limited, "POST", "/v1/tokens/verify", quiet,
                    EdgeFixture.json(Map.of("token", quiet)).getBytes(StandardCharsets.UTF_8));

            assertThat(burst).extracting(HttpResponse::statusCode).contains(200, 429).containsOnly(200, 429);
            HttpResponse<String> refused = burst.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
            assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
                    seconds -> assertThat(Long.parseLong(seconds)).isPositive());
            assertJsonError(refused, "the refused request");
            assertThat(EdgeFixture.json(refused).get("error").asText()).isEqualTo("rate_limited");
            assertThat(other.statusCode()).as(other.body()).isEqualTo(200);

            // the token exchange is a public route, but each issue counts against the tenant it issues for
            String issuing = tenants.get(2);
            limited.tokenFor(issuing, "issued", Set.of(Capability.CONVERSATION));
            byte[] issue = EdgeFixture.json(Map.of("subject", "issued", "tenant", issuing,
                    "capabilities", List.of(Capability.CONVERSATION.claim()))).getBytes(StandardCharsets.UTF_8);
            List<HttpResponse<String>> issues = atOnce(20,
                    () -> send(limited, "POST", "/v1/tokens/issue", limited.adminToken(), issue));
            assertThat(issues).extracting(HttpResponse::statusCode).contains(201, 429).containsOnly(201, 429);
            assertThat(EdgeFixture.json(issues.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow())
                    .get("error").asText()).isEqualTo("rate_limited");
        }
    }

    @Test
    void shouldPageEveryArchivedDecisionExactlyOnceThoughEachWasPublishedTwice() throws Exception {
        String tenant = EdgeFixture.tenants("archive", 1).get(0);
        List<AzureTrace.Request> trace = AzureTrace.read(AzureTrace.file(TestPaths.dataDir(), "conv"))
                .subList(0, ARCHIVED_DECISIONS + 1);
        // all in one session, so one partition keeps them in order: the last one, published only in the
        // second pass, arrives in the archive after every duplicate before it
        String session = "azure-conv-" + tenant;
        List<PolicyDecision> decisions = trace.stream().map(r -> decision(tenant, session, r)).toList();
        try (KafkaProducer<String, PolicyDecision> producer = decisionProducer()) {
            for (PolicyDecision d : decisions.subList(0, ARCHIVED_DECISIONS)) {
                producer.send(new ProducerRecord<>(Topics.POLICY_DECISIONS.name(), session, d));
            }
            for (PolicyDecision d : decisions) {
                producer.send(new ProducerRecord<>(Topics.POLICY_DECISIONS.name(), session, d));
            }
            producer.flush();
        }
        String auditor = edge.tokenFor(tenant, "auditor", Set.of(Capability.AUDIT_READ));
        // the topic keeps milliseconds of the trace's 100 ns timestamps
        Instant from = decisions.stream().map(PolicyDecision::getEvaluatedAt).min(Instant::compareTo).orElseThrow();
        Instant to = decisions.stream().map(PolicyDecision::getEvaluatedAt).max(Instant::compareTo).orElseThrow()
                .plusMillis(1);

        List<String> paged = awaitAllPages(auditor, tenant, from, to, decisions.size());

        assertThat(paged).hasSize(decisions.size()).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(decisions.stream().map(PolicyDecision::getDecisionId).toList());
        HttpResponse<String> badFrom = edge.get(decisionsPath(tenant, "yesterday", to.toString(), PAGE_SIZE, null),
                auditor);
        assertThat(badFrom.statusCode()).isEqualTo(400);
        assertJsonError(badFrom, "from=yesterday");
        // newest first: the latest decision heads the first page
        JsonNode newest = EdgeFixture.json(edge.get(decisionsPath(tenant, from.toString(), to.toString(), PAGE_SIZE,
                null) + "&order=newest", auditor));
        assertThat(newest.get("decisions").get(0).get("decision_id").asText()).isEqualTo(paged.get(paged.size() - 1));
        // one outcome only
        String outcome = decisions.get(0).getDecision();
        String other = outcome.equals("deny") ? "allow" : "deny";
        long ofOutcome = decisions.stream().filter(d -> d.getDecision().equals(outcome)).count();
        JsonNode filtered = EdgeFixture.json(edge.get(decisionsPath(tenant, from.toString(), to.toString(),
                DecisionArchiveQuery.MAX_LIMIT, null) + "&decision=" + outcome.toUpperCase(Locale.ROOT), auditor));
        assertThat(filtered.get("decisions").findValuesAsText("decision")).hasSize((int) ofOutcome).containsOnly(outcome);
        JsonNode others = EdgeFixture.json(edge.get(decisionsPath(tenant, from.toString(), to.toString(),
                DecisionArchiveQuery.MAX_LIMIT, null) + "&decision=" + other, auditor));
        assertThat(others.get("decisions").findValuesAsText("decision"))
                .hasSize((int) decisions.stream().filter(d -> d.getDecision().equals(other)).count());
        for (String query : List.of("&limit=0", "&limit=abc", "&limit=100000", "&cursor=%25%25not-a-cursor",
                "&order=sideways", "&decision=maybe")) {
            HttpResponse<String> bad = edge.get("/v1/audit/decisions?tenant=" + tenant + query, auditor);
            assertThat(bad.statusCode()).as(query + ": " + bad.body()).isEqualTo(400);
            assertJsonError(bad, query);
        }
    }

    /** PostgreSQL text cannot hold NUL: a lookup by a name holding one must be the caller's error, not a 503. */
    @Test
    void shouldRefuseANulInAQueryParameterWith400() throws Exception {
        String tenant = EdgeFixture.tenants("nul-query", 1).get(0);
        String operator = edge.tokenFor(tenant, "operator", Set.of(Capability.AUDIT_READ, Capability.PLATFORM_OPERATOR));

        HttpResponse<String> response = edge.get("/v1/audit/decisions?tenant=a%00b", operator);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertJsonError(response, "tenant with NUL");
        assertThat(EdgeFixture.json(response).path("message").asText()).contains("tenant must not contain NUL");
        // a parameter name that is no valid escape itself: a client library would not send it, a socket does
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", edge.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /v1/audit/decisions?a%zz=%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + operator + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).as(answer).startsWith("HTTP/1.1 400").doesNotContain("\tat ", "Caused by", "Exception");
        }
    }

    /** Pages until next_cursor is null, repeating the whole walk until the archive holds {@code expected} rows. */
    private static List<String> awaitAllPages(String token, String tenant, Instant from, Instant to, int expected) {
        return Await.value(expected + " archived decisions of " + tenant, EdgeFixture.AWAIT_TIMEOUT,
                () -> allPages(token, tenant, from, to), ids -> ids.size() >= expected);
    }

    private static List<String> allPages(String token, String tenant, Instant from, Instant to) {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> page = edge.get(decisionsPath(tenant, from.toString(), to.toString(), PAGE_SIZE,
                    cursor), token);
            if (page.statusCode() != 200) {
                // not an assertion: Await retries a probe that throws this, and reports the last one
                throw new IllegalStateException("decisions page answered " + page.statusCode() + ": " + page.body());
            }
            JsonNode body = EdgeFixture.json(page);
            assertThat(body.get("decisions").size()).isLessThanOrEqualTo(PAGE_SIZE);
            for (JsonNode decision : body.get("decisions")) {
                assertThat(decision.get("tenant").asText()).isEqualTo(tenant);
                ids.add(decision.get("decision_id").asText());
            }
            cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
        } while (cursor != null);
        return ids;
    }

    /** The policy verdict on a trace request: the trace has no text, so the evaluator allows it with score 1. */
    private static PolicyDecision decision(String tenant, String session, AzureTrace.Request request) {
        Evaluation verdict = PolicyEvaluator.evaluate(new EvaluationInput(null, "assistant", null),
                CompiledPolicy.compile(null, null));
        String eventId = "azure-conv-" + request.row();
        return PolicyDecision.newBuilder()
                .setDecisionId(tenant + ":" + eventId)
                .setEventId(eventId)
                .setSessionId(session)
                .setTenant(tenant)
                .setDecision(verdict.decision().wire())
                .setAllowed(verdict.allowed())
                .setScore(verdict.score())
                .setSeverity(verdict.severity().wire())
                .setViolations(List.of())
                .setRulesEvaluated(verdict.rulesEvaluated())
                .setEvaluatedAt(request.arrivedAt().truncatedTo(ChronoUnit.MILLIS))
                .setEvaluationMicros(0)
                .build();
    }

    private static KafkaProducer<String, PolicyDecision> decisionProducer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, edge.config().bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                Topics.POLICY_DECISIONS.keySerde().serializer(),
                Topics.POLICY_DECISIONS.valueSerde(new SchemaRegistryClient(edge.config().schemaRegistryUrl()))
                        .serializer());
    }

    private static String decisionsPath(String tenant, String from, String to, int limit, String cursor) {
        return "/v1/audit/decisions?tenant=" + encode(tenant) + "&from=" + encode(from) + "&to=" + encode(to)
                + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + encode(cursor));
    }

    /** The POST and PUT routes: those that read a body. */
    private static List<EdgeServer.Route> bodyRoutes() {
        List<EdgeServer.Route> routes = edge.routes().stream()
                .filter(r -> r.method().equals("POST") || r.method().equals("PUT")).toList();
        assertThat(routes).isNotEmpty();
        return routes;
    }

    /** The route's path with every path parameter set to {@code value}. */
    private static String concrete(EdgeServer.Route route, String value) {
        return route.path().replaceAll("\\{[^}]+}|<[^>]+>", encode(value));
    }

    private static Operation documented(EdgeServer.Route route) {
        return doc.operation(route.method(), OpenApiRoutesIT.openApiPath(route.path()))
                .orElseThrow(() -> new AssertionError(route + " is not in docs/openapi.yaml"));
    }

    /** Success, or a 4xx JSON error. */
    private static void assertNoServerError(HttpResponse<String> response, String what) throws Exception {
        assertThat(response.statusCode()).as(what + ": " + response.body()).isLessThan(500);
        if (response.statusCode() >= 400) {
            assertJsonError(response, what);
        }
    }

    /** A 4xx whose body is JSON {error, message, details} and carries no stack trace. */
    private static void assertJsonError(HttpResponse<String> response, String what) throws Exception {
        assertThat(response.statusCode()).as(what + ": " + response.body()).isBetween(400, 499);
        assertThat(response.headers().firstValue("Content-Type")).as(what)
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode body = EdgeFixture.json(response);
        assertThat(body.fieldNames()).toIterable().as(what).containsExactly("error", "message", "details");
        assertThat(body.get("error").isTextual() && body.get("message").isTextual()).as(what).isTrue();
        assertThat(body.get("details").isObject()).as(what).isTrue();
        assertThat(response.body()).as(what).doesNotContain("\tat ", "Exception");
    }

    private static HttpResponse<String> send(String method, String path, String token, byte[] body) {
        return send(edge, method, path, token, body);
    }

    private static HttpResponse<String> send(EdgeFixture target, String method, String path, String token,
                                             byte[] body) {
        return send(target, method, path, token, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private static HttpResponse<String> send(EdgeFixture target, String method, String path, String token,
                                             HttpRequest.BodyPublisher body) {
        return target.send(target.request(path, token).header("Content-Type", "application/json").method(method, body));
    }

    /** {@code n} requests sent together, each on a thread of its own; their answers in the order sent. */
    private static List<HttpResponse<String>> atOnce(int n, Callable<HttpResponse<String>> request) throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(n);
        try {
            // bounded: one unanswered after the wait is cancelled, and its get() throws
            List<Future<HttpResponse<String>>> sent = senders.invokeAll(Collections.nCopies(n, request),
                    EdgeFixture.AWAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            List<HttpResponse<String>> answers = new ArrayList<>();
            for (Future<HttpResponse<String>> answer : sent) {
                answers.add(answer.get());
            }
            return answers;
        } finally {
            senders.shutdownNow();
        }
    }

    /** A body of unknown length: the client sends it chunked, with no Content-Length. */
    private static HttpRequest.BodyPublisher chunked(byte[] body) {
        return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
