package io.soma.streams.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.Identity;
import io.soma.streams.edge.auth.IdentityStore;
import io.soma.streams.edge.auth.KeySeal;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.StopSignal;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.archive.PostgresPool;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.PrivateSchema;
import io.soma.streams.testkit.RedisNamespace;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import redis.clients.jedis.JedisPooled;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * A whole Soma process on the shared real stack (broker, registry) or on a stack of its own, with no replay, and
 * a real HTTP client that signs in as the bootstrap admin or as users it creates. The process keeps its Redis keys
 * under a private prefix and its tables in a private schema of the test database, both deleted on close: tests
 * never touch a running demo's keys or rows, nor each other's.
 */
public final class EdgeFixture implements AutoCloseable {
    /** The longest a wait for the edge may take; it ends as soon as its condition holds. */
    public static final Duration AWAIT_TIMEOUT = Duration.ofSeconds(60);
    /** A stack of its own starts a broker and the registry too, on a machine shared with other builds. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /**
     * How long an app's reply may take before the edge answers 504: the product's 10 s is for production; a loaded
     * 2-core machine running two test JVMs can exceed it, and a 504 is not what the tests check.
     */
    private static final String REPLY_TIMEOUT = "PT25S";
    /** Longer than any wait of the edge's own: a step waits for its reservation, then for its decision. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Shared by every process of a test JVM, as by the instances of one deployment. */
    static final String PEER_CREDENTIAL = "test-peer-" + UUID.randomUUID() + UUID.randomUUID();

    private final RedisNamespace redis;
    private final PrivateSchema schema;
    /** False for {@link #anotherInstance()}: the first instance drops the Redis keys and the schema they share. */
    private final boolean ownsStores;
    private final Map<String, String> settings;
    private final List<Slice.Starter> composition;
    private final SomaProcess process;
    private final String adminKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
    private String adminToken;

    public EdgeFixture(Map<String, String> overrides) {
        this(sharedStack(), overrides, SomaProcess.COMPOSITION, StopSignal.manual());
    }

    /** A process on the shared stack that runs only the capabilities of {@code composition} (identity included). */
    public static EdgeFixture withSlices(List<Slice.Starter> composition, Map<String, String> overrides) {
        return new EdgeFixture(sharedStack(), overrides, composition, StopSignal.manual());
    }

    /** {@link #withSlices} whose start checks {@code stop} between its steps, as the process main's does. */
    public static EdgeFixture withSlices(List<Slice.Starter> composition, Map<String, String> overrides,
                                         StopSignal stop) {
        return new EdgeFixture(sharedStack(), overrides, composition, stop);
    }

    /**
     * A process with a broker and registry of its own, for tests whose event time must not mix with the
     * shared broker's (stream time is per partition, so other tests' "now" events would make old data late).
     */
    public static EdgeFixture onOwnStack(Map<String, String> overrides) {
        return onOwnStack(overrides, SomaProcess.COMPOSITION);
    }

    /** {@link #onOwnStack(Map)} running only the capabilities of {@code composition}. */
    public static EdgeFixture onOwnStack(Map<String, String> overrides, List<Slice.Starter> composition) {
        return new EdgeFixture(Map.of("stack.embedded", "true", "stack.kafka.port", "0", "stack.registry.port", "0"),
                overrides, composition, StopSignal.manual());
    }

    /**
     * The demo as the README starts it, seen from this module: the example constitution, rule pack and capsule
     * publisher trusted, and the real datasets replayed, the hour-long Azure trace in about two seconds.
     */
    public static Map<String, String> demoSettings() {
        return Map.of(
                "constitution.trusted.keys", "example",
                "marketplace.trusted.keys", "example",
                "marketplace.demo.key.file", Path.of("..").resolve(ExampleCapsulePublisher.PRIVATE_KEY_FILE).toString(),
                "policy.load.examples", "true",
                "replay.enabled", "true",
                "datasets.dir", TestPaths.dataDir().toString(),
                "replay.speed", "2000");
    }

    private static Map<String, String> sharedStack() {
        LocalStack stack = LocalStack.shared();
        return Map.of("stack.embedded", "false", "kafka.bootstrap.servers", stack.bootstrapServers(),
                "schema.registry.url", stack.schemaRegistryUrl());
    }

    private EdgeFixture(Map<String, String> stack, Map<String, String> overrides, List<Slice.Starter> composition,
                        StopSignal stop) {
        redis = RedisNamespace.create("edge");
        schema = PrivateSchema.create("edge");
        ownsStores = true;
        adminKey = "test-admin-" + UUID.randomUUID() + UUID.randomUUID();
        this.composition = composition;
        try {
            Map<String, String> all = new HashMap<>(stack);
            all.putAll(Map.of(
                    "edge.port", "0",
                    "replay.enabled", "false",
                    "redis.url", redis.url(),
                    "redis.key.prefix", redis.prefix(),
                    "postgres.jdbc.url", schema.jdbcUrl(),
                    "postgres.user", schema.user(),
                    "identity.postgres.schema", schema.name(),
                    "archive.postgres.schema", schema.name(),
                    "identity.bootstrap.api.key", adminKey));
            all.putAll(Map.of("edge.peer.port", "0", "edge.peer.secret", PEER_CREDENTIAL,
                    "edge.reply.timeout", REPLY_TIMEOUT));
            all.put("identity.keys.wrap.secret", KeySeal.newWrapSecret());
            all.putAll(overrides);
            settings = Map.copyOf(all);
            process = startProcess(settings, composition, stop);
        } catch (RuntimeException e) {
            // the process closed what it had started; the namespace and schema are the fixture's to drop
            closeStores();
            throw e;
        }
    }

    private EdgeFixture(EdgeFixture first, Map<String, String> overrides) {
        redis = first.redis;
        schema = first.schema;
        ownsStores = false;
        adminKey = first.adminKey;
        composition = first.composition;
        Map<String, String> all = new HashMap<>(first.settings);
        // the first instance's broker and registry, whether its own or the shared ones
        all.putAll(Map.of("stack.embedded", "false",
                "kafka.bootstrap.servers", first.config().bootstrapServers(),
                "schema.registry.url", first.config().schemaRegistryUrl()));
        all.putAll(overrides);
        settings = Map.copyOf(all);
        process = startProcess(settings, composition, StopSignal.manual());
    }

    /**
     * Another instance of this process's deployment: the same broker, registry, Redis keys, schema, secrets and
     * capabilities, with state of its own, so the apps' partitions are shared between the two.
     */
    public EdgeFixture anotherInstance() {
        return anotherInstance(Map.of());
    }

    /** {@link #anotherInstance()} with settings of its own, e.g. another deployment sharing this one's Redis keys. */
    public EdgeFixture anotherInstance(Map<String, String> overrides) {
        return new EdgeFixture(this, overrides);
    }

    private static SomaProcess startProcess(Map<String, String> settings, List<Slice.Starter> composition,
                                            StopSignal stop) {
        Map<String, String> withDataDir = new HashMap<>(settings);
        withDataDir.put("stack.data.dir", TestPaths.newWorkDir("edge").toString());
        return SomaProcess.start(SomaConfig.from(Settings.of(withDataDir)), composition, stop);
    }

    /** The running process's configuration (with the embedded stack's real addresses when it has one). */
    /** {@link SomaProcess#metricFamilies()}. */
    public Set<String> metricFamilies() {
        return process.metricFamilies();
    }

    public SomaConfig config() {
        return process.config();
    }

    public int port() {
        return process.edgePort();
    }

    /** GET {@code path} on the management listener ({@code edge.management.port} set in the overrides). */
    public HttpResponse<String> getManagement(String path) {
        int managementPort = process.managementPort()
                .orElseThrow(() -> new IllegalStateException("this process has no management listener"));
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
                .timeout(REQUEST_TIMEOUT).GET());
    }

    public int peerPort() {
        return process.peerPort();
    }

    /** The process's running Streams app of {@code applicationId}. */
    public KafkaStreams streams(String applicationId) {
        return process.streams(applicationId);
    }

    public List<EdgeServer.Route> routes() {
        return process.routes();
    }

    /** Waits until /health/ready says 200. A fixture that never gets ready is closed: its caller never holds it. */
    public EdgeFixture awaitReady() {
        try {
            awaitGet("the edge to be ready", "/health/ready", null, READY_TIMEOUT, body -> true);
            return this;
        } catch (RuntimeException | AssertionError e) {
            close();
            throw e;
        }
    }

    /**
     * Polls GET {@code path} until it answers 200 with a body {@code done} accepts, and returns that body; fails
     * with the last answer. For reading what the edge applies asynchronously (a global table, a store, the archive).
     */
    public JsonNode awaitGet(String what, String path, String token, Predicate<JsonNode> done) {
        return awaitGet(what, path, token, AWAIT_TIMEOUT, done);
    }

    /** {@link #awaitGet(String, String, String, Predicate)} for what may take longer than {@link #AWAIT_TIMEOUT}. */
    public JsonNode awaitGet(String what, String path, String token, Duration timeout, Predicate<JsonNode> done) {
        Answer answer = Await.value(what + " (GET " + path + ")", timeout, () -> Answer.of(get(path, token)),
                a -> a.status() == 200 && done.test(parse(a.body())));
        return parse(answer.body());
    }

    /** An answer as a failed wait reports it. */
    private record Answer(int status, String body) {
        static Answer of(HttpResponse<String> response) {
            return new Answer(response.statusCode(), response.body());
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /** The bootstrap admin's API key (a platform operator), for a client that signs in itself, as the console does. */
    public String adminApiKey() {
        return adminKey;
    }

    public String adminToken() {
        if (adminToken == null) {
            HttpResponse<String> r = send(request("/v1/tokens/issue", null).header("X-Api-Key", adminKey)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")));
            if (r.statusCode() != 201) {
                throw new IllegalStateException("cannot issue the admin's token: " + r.statusCode() + " " + r.body());
            }
            adminToken = json(r).get("token").asText();
        }
        return adminToken;
    }

    /** A token for a user of {@code tenant} (created in the private schema) holding exactly {@code capabilities}. */
    public String tokenFor(String tenant, String subject, Set<Capability> capabilities) {
        try (PostgresPool pool = new PostgresPool(schema.jdbcUrl(), schema.user(), "", 1)) {
            new IdentityStore(pool.dataSource(), schema.name()).saveUser(new Identity(tenant, subject, capabilities));
        }
        Map<String, Object> body = Map.of("subject", subject, "tenant", tenant,
                "capabilities", capabilities.stream().map(Capability::claim).toList());
        HttpResponse<String> r = post("/v1/tokens/issue", adminToken(), json(body));
        if (r.statusCode() != 201) {
            throw new IllegalStateException("cannot issue a token: " + r.body());
        }
        return json(r).get("token").asText();
    }

    /** {@code key} as this process names it in Redis: under its private prefix. */
    public String redisKey(String key) {
        return redis.prefix() + key;
    }

    /** The machine's Redis, to look at {@link #redisKey} keys. */
    public JedisPooled redis() {
        return redis.redis();
    }

    /** A request to {@code path} on this edge with a timeout, bearing {@code token} when there is one. */
    public HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(REQUEST_TIMEOUT);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        try {
            return http.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(built.method() + " " + built.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + built.method() + " " + built.uri(), e);
        }
    }

    public HttpResponse<String> post(String path, String token, String body) {
        return send(request(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public HttpResponse<String> get(String path, String token) {
        return send(request(path, token).GET());
    }

    /** Publishes events to {@code conversation.events} keyed by session, as a gateway does, and waits until Kafka has them. */
    public void publish(List<ConversationEvent> events) {
        try (KafkaProducer<String, ConversationEvent> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", config().bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(config().schemaRegistryUrl()), false, true))) {
            events.forEach(e -> producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), e.getSessionId(), e)));
        }
    }

    public static JsonNode json(HttpResponse<String> response) {
        return parse(response.body());
    }

    public static String json(Map<String, ?> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    @Override
    public void close() {
        try {
            process.close();
        } finally {
            if (ownsStores) {
                closeStores();
            }
        }
    }

    private void closeStores() {
        try {
            redis.close();
        } finally {
            schema.close();
        }
    }

    public static List<String> tenants(String prefix, int n) {
        String run = Long.toString(System.nanoTime(), 36);
        return IntStream.range(0, n).mapToObj(i -> prefix + "-" + run + "-" + i).toList();
    }
}
