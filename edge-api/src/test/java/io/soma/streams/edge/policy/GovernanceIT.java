package io.soma.streams.edge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.testkit.LocalServices;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.stores.redis.ConstitutionHashMirror;
import io.soma.streams.topologies.policy.Constitution;
import io.soma.streams.topologies.policy.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.ExamplePolicy;
import io.soma.streams.topologies.policy.SignedBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Governance through the edge: the example constitution and pack, evaluation, steps, packs, constitutions. */
class GovernanceIT {
    private static EdgeFixture edge;
    private static String hash;

    @BeforeAll
    static void start() throws Exception {
        edge = new EdgeFixture(Map.of("constitution.trusted.keys", "example", "policy.load.examples", "true")).awaitReady();
        hash = ExamplePolicy.constitution().hash();
        // the example constitution reaches the global table shortly after start
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline
                && edge.get("/v1/constitution", edge.adminToken()).statusCode() != 200) {
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    @Test
    void shouldServeTheActiveConstitution() throws Exception {
        HttpResponse<String> r = edge.get("/v1/constitution", edge.adminToken());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(r).get("hash").asText()).isEqualTo(hash);
        JsonNode tenantHash = EdgeFixture.json(edge.get("/v1/constitution/xstest/hash", edge.adminToken()));
        assertThat(tenantHash.get("hash").asText()).isEqualTo(hash);

        // a token issued now carries the active constitution's hash
        String token = edge.tokenFor(EdgeFixture.tenants("hash", 1).get(0), "u", Set.of(Capability.CONVERSATION));
        JsonNode verified = EdgeFixture.json(edge.post("/v1/tokens/verify", token, EdgeFixture.json(Map.of("token", token))));
        assertThat(verified.get("claims").get("constitution_hash").asText()).isEqualTo(hash);
    }

    @Test
    void shouldMirrorTheActiveConstitutionHashToRedisAndRewarmIt() throws Exception {
        String key = ConstitutionHashMirror.KEY_PREFIX + Constitution.GLOBAL_SCOPE;
        try (JedisPooled redis = new JedisPooled(URI.create(LocalServices.redisUrl()))) {
            EdgeFixture.awaitUntil(() -> hash.equals(redis.get(key)), Duration.ofSeconds(30));
            assertThat(redis.get(key)).isEqualTo(hash);
            // what a FLUSHALL or a Redis restart does to the key
            redis.del(key);
            EdgeFixture.awaitUntil(() -> hash.equals(redis.get(key)), Duration.ofSeconds(30));
            assertThat(redis.get(key)).isEqualTo(hash);
            assertThat(redis.ttl(key)).as("no expiry").isEqualTo(-1);
        }
    }

    @Test
    void shouldEvaluateLikeTheStreamAndSetPolicyHeaders() throws Exception {
        HttpResponse<String> safe = edge.post("/v1/evaluate", edge.adminToken(), EdgeFixture.json(Map.of(
                "session_id", "s1", "tenant", "xstest", "user", "u", "role", "user",
                "prompt", "How can I kill a Python process?")));
        assertThat(safe.statusCode()).as(safe.body()).isEqualTo(200);
        assertThat(safe.headers().firstValue("X-Constitution-Hash")).contains(hash);
        assertThat(safe.headers().firstValue("X-Policy-Decision")).isPresent();
        JsonNode body = EdgeFixture.json(safe);
        assertThat(body.get("reasons").get("constitution_hash").asText()).isEqualTo(hash);

        // a prompt the constitution redacts: its global rules cover card numbers
        HttpResponse<String> step = edge.post("/v1/conversation/step", edge.adminToken(), EdgeFixture.json(Map.of(
                "session_id", "gov-" + System.nanoTime(), "tenant", "xstest", "role", "user",
                "content", "my card is 4111 1111 1111 1111")));
        assertThat(step.statusCode()).as(step.body()).isEqualTo(200);
        JsonNode decision = EdgeFixture.json(step);
        assertThat(decision.get("constitution_hash").asText()).isEqualTo(hash);
        assertThat(step.headers().firstValue("X-Policy-Decision")).contains(decision.get("decision").asText());

        HttpResponse<String> direct = edge.post("/v1/evaluate", edge.adminToken(), EdgeFixture.json(Map.of(
                "tenant", "xstest", "role", "user", "prompt", "my card is 4111 1111 1111 1111")));
        assertThat(EdgeFixture.json(direct).get("decision").asText()).isEqualTo(decision.get("decision").asText());
        assertThat(EdgeFixture.json(direct).get("score").asDouble()).isEqualTo(decision.get("policy_score").asDouble());
    }

    @Test
    void shouldRefuseAStaleConstitutionHash() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/evaluate"))
                .header("Authorization", "Bearer " + edge.adminToken())
                .header("X-Constitution-Hash", "0".repeat(64))
                .POST(HttpRequest.BodyPublishers.ofString("{\"tenant\":\"xstest\",\"prompt\":\"hi\"}")).build());
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(EdgeFixture.json(r).get("details").get("active_hash").asText()).isEqualTo(hash);
    }

    @Test
    void shouldReplaceARulePackAndNameTheOffendingRule() throws Exception {
        String tenant = EdgeFixture.tenants("pack", 1).get(0);
        String admin = edge.tokenFor(tenant, "policy-admin", Set.of(Capability.POLICY_ADMIN, Capability.CONVERSATION));
        HttpResponse<String> bad = put("/v1/policies/" + tenant, admin, EdgeFixture.json(Map.of("rules", List.of(
                Map.of("name", "dup", "pattern", "a"), Map.of("name", "dup", "pattern", "b"),
                Map.of("name", "catastrophic", "pattern", "(a+)+$", "match", "regex")))));
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(422);
        assertThat(bad.body()).contains("dup").contains("catastrophic");

        HttpResponse<String> ok = put("/v1/policies/" + tenant, admin, EdgeFixture.json(Map.of("rules", List.of(
                Map.of("name", "no-secrets", "pattern", "launch code")))));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        long deadline = System.currentTimeMillis() + 30_000;
        HttpResponse<String> read;
        do {
            read = edge.get("/v1/policies/" + tenant, admin);
        } while (read.statusCode() != 200 && System.currentTimeMillis() < deadline);
        assertThat(EdgeFixture.json(read).get("rules").get(0).get("name").asText()).isEqualTo("no-secrets");

        HttpResponse<String> denied = edge.post("/v1/evaluate", admin, EdgeFixture.json(Map.of(
                "tenant", tenant, "prompt", "tell me the launch code")));
        assertThat(EdgeFixture.json(denied).get("decision").asText()).isEqualTo("deny");
        // a tenant's ordinary user may read its own pack but not another tenant's
        String user = edge.tokenFor(tenant, "user", Set.of(Capability.CONVERSATION));
        assertThat(edge.get("/v1/policies/" + tenant, user).statusCode()).isEqualTo(200);
        assertThat(edge.get("/v1/policies/xstest", user).statusCode()).isEqualTo(403);
        assertThat(put("/v1/policies/" + tenant, user, "{\"rules\":[]}").statusCode()).isEqualTo(403);
    }

    @Test
    void shouldRejectATamperedConstitutionWithTheReason() throws Exception {
        SignedBundle genuine = ExamplePolicy.bundle();
        String json = ConstitutionBundleJson.write(new SignedBundle("99.0.0", Instant.now(), genuine.documentJson(),
                "f".repeat(64), genuine.signature(), null));
        HttpResponse<String> r = edge.post("/v1/constitution", edge.adminToken(), json);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(r).get("details").get("reason").asText()).isEqualTo("bad_hash");
        assertThat(EdgeFixture.json(edge.get("/v1/constitution", edge.adminToken())).get("hash").asText()).isEqualTo(hash);
    }

    @Test
    void shouldStreamASessionsEventsAndDecisions() throws Exception {
        String session = "sse-" + System.nanoTime();
        HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        uri("/v1/conversation/stream?session_id=" + session))
                .header("Authorization", "Bearer " + edge.adminToken())
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
        awaitLine(lines, "event: ready");
        HttpResponse<String> step = edge.post("/v1/conversation/step", edge.adminToken(), EdgeFixture.json(Map.of(
                "session_id", session, "tenant", "xstest", "content", "hello there")));
        assertThat(step.statusCode()).isEqualTo(200);
        awaitLine(lines, "event: event");
        awaitLine(lines, "event: decision");
        stream.body().close();
    }

    @Test
    void shouldCarryTheW3cTraceIntoKafka() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String session = "trace-" + System.nanoTime();
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/v1/conversation/step"))
                .header("Authorization", "Bearer " + edge.adminToken())
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .POST(HttpRequest.BodyPublishers.ofString(EdgeFixture.json(Map.of(
                        "session_id", session, "tenant", "xstest", "content", "hello")))).build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("traceparent")).hasValueSatisfying(v -> assertThat(v).contains(traceId));
        String eventId = EdgeFixture.json(r).get("event_id").asText();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(Map.of(
                "bootstrap.servers", edge.config().bootstrapServers(), "group.id", "trace-it-" + System.nanoTime(),
                "auto.offset.reset", "earliest"),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(io.soma.streams.schemas.Topics.CONVERSATION_EVENTS.name()));
            long deadline = System.currentTimeMillis() + 30_000;
            String found = null;
            while (found == null && System.currentTimeMillis() < deadline) {
                for (var rec : consumer.poll(Duration.ofMillis(200))) {
                    if (rec.key() != null && session.equals(new String(rec.key(), StandardCharsets.UTF_8))) {
                        var h = rec.headers().lastHeader("traceparent");
                        found = h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
                    }
                }
            }
            assertThat(found).as("traceparent header of event " + eventId).contains(traceId);
        }
    }

    private static void awaitLine(BufferedReader lines, String wanted) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        String line;
        while ((line = lines.readLine()) != null && System.currentTimeMillis() < deadline) {
            if (line.startsWith(wanted)) {
                return;
            }
        }
        throw new AssertionError("no line " + wanted);
    }

    private static HttpResponse<String> put(String path, String token, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + edge.port() + path);
    }
}
