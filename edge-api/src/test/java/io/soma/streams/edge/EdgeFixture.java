package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.testkit.LocalServices;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.Identity;
import io.soma.streams.edge.auth.IdentityStore;
import io.soma.streams.edge.config.Settings;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.stores.archive.PostgresPool;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A whole Soma process on the shared real stack (broker, registry, Redis, PostgreSQL), with no replay, and a
 * real HTTP client that signs in as the bootstrap admin or as users it creates.
 */
public final class EdgeFixture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SomaProcess process;
    private final String adminKey = "test-admin-" + UUID.randomUUID() + UUID.randomUUID();
    private final HttpClient http = HttpClient.newHttpClient();
    private final SomaConfig config;
    private String adminToken;

    public EdgeFixture(Map<String, String> overrides) {
        this(overrides, false);
    }

    /**
     * A process with a broker and registry of its own, for tests whose event time must not mix with the
     * shared broker's (stream time is per partition, so other tests' "now" events would make old data late).
     */
    public static EdgeFixture onOwnStack(Map<String, String> overrides) {
        return new EdgeFixture(overrides, true);
    }

    private EdgeFixture(Map<String, String> overrides, boolean ownStack) {
        LocalStack stack = ownStack ? null : LocalStack.shared();
        Path dataDir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work"))
                .resolve("edge-" + UUID.randomUUID());
        Map<String, String> settings = new HashMap<>(ownStack
                ? Map.of("stack.embedded", "true", "stack.kafka.port", "0", "stack.registry.port", "0")
                : Map.of("stack.embedded", "false", "kafka.bootstrap.servers", stack.bootstrapServers(),
                        "schema.registry.url", stack.schemaRegistryUrl()));
        settings.putAll(Map.of(
                "stack.data.dir", dataDir.toString(),
                "edge.port", "0",
                "replay.enabled", "false",
                "postgres.jdbc.url", LocalServices.testJdbcUrl(),
                "postgres.user", LocalServices.postgresUser(),
                "redis.url", LocalServices.redisUrl(),
                "identity.bootstrap.api.key", adminKey));
        // one admin per fixture: a new bootstrap key replaces the old one of the same admin
        settings.put("identity.bootstrap.subject", "admin-" + UUID.randomUUID());
        settings.putAll(overrides);
        config = SomaConfig.from(Settings.of(settings));
        process = SomaProcess.start(config);
    }

    /** The running process's configuration (with the embedded stack's real addresses when it has one). */
    public SomaConfig config() {
        return process.config();
    }

    public int port() {
        return process.edgePort();
    }

    public List<EdgeServer.Route> routes() {
        return process.routes();
    }

    /** Waits until /health/ready says 200. */
    public EdgeFixture awaitReady() throws Exception {
        HttpResponse<String> last = DemoIT.awaitReady(port(), Duration.ofSeconds(60));
        if (last.statusCode() != 200) {
            throw new IllegalStateException("not ready: " + last.body());
        }
        return this;
    }

    public String adminToken() throws Exception {
        if (adminToken == null) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/tokens/issue"))
                    .header("X-Api-Key", adminKey).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            adminToken = JSON.readTree(r.body()).get("token").asText();
        }
        return adminToken;
    }

    /** A token for a user of {@code tenant} (created in PostgreSQL) holding exactly {@code capabilities}. */
    public String tokenFor(String tenant, String subject, Set<Capability> capabilities) throws Exception {
        try (PostgresPool pool = new PostgresPool(config.jdbcUrl(), config.postgresUser(), "", 1)) {
            new IdentityStore(pool.dataSource(), "soma").saveUser(new Identity(tenant, subject, capabilities));
        }
        Map<String, Object> body = Map.of("subject", subject, "tenant", tenant,
                "capabilities", capabilities.stream().map(Capability::claim).toList());
        HttpResponse<String> r = post("/v1/tokens/issue", adminToken(), JSON.writeValueAsString(body));
        if (r.statusCode() != 201) {
            throw new IllegalStateException("cannot issue a token: " + r.body());
        }
        return JSON.readTree(r.body()).get("token").asText();
    }

    public HttpResponse<String> post(String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes (the caller asserts afterwards). */
    public static void awaitUntil(java.util.function.BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    public static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    public static String json(Map<String, ?> body) throws Exception {
        return JSON.writeValueAsString(body);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    @Override
    public void close() {
        process.close();
    }

    public static List<String> tenants(String prefix, int n) {
        String run = Long.toString(System.nanoTime(), 36);
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> prefix + "-" + run + "-" + i).toList();
    }
}
