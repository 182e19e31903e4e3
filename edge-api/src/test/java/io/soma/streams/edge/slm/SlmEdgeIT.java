package io.soma.streams.edge.slm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.apibuilder.ApiBuilder;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.devstack.FreePort;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.KafkaIdentityAuditSink;
import io.soma.streams.edge.auth.KeySeal;
import io.soma.streams.edge.auth.SigningKeys;
import io.soma.streams.edge.auth.TokenLifetime;
import io.soma.streams.edge.auth.TokenRequest;
import io.soma.streams.edge.auth.TokenService;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.query.PeerServer;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.edge.sse.SseAdmission;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.tenancy.TenantScope;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.RedisNamespace;
import io.soma.streams.testkit.SseClient;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import io.soma.streams.topologies.slm.AlertStateMachine;
import io.soma.streams.topologies.slm.AlertThresholds;
import io.soma.streams.topologies.slm.LlmPerfRecords;
import io.soma.streams.topologies.slm.LlmPerfReport;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.slm.SlmRequest;
import io.soma.streams.topologies.slm.SlmWindowAggregate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SLM endpoints of two real instances of the SLM app (same application id, each with its own edge and peer
 * listener): windows held by either instance are answered through the first, and alerts stream as SSE, to a caller
 * with a real token holding slm.read. The LLMPerf leaderboard is replayed through the real broker, one minute per
 * model@provider.
 */
class SlmEdgeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String PEER_CREDENTIAL = "slm-edge-" + UUID.randomUUID() + UUID.randomUUID();
    private static final TokenLifetime LIFETIME = new TokenLifetime(Duration.ofHours(1), Duration.ofSeconds(30));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private String token;

    @Test
    void shouldAnswerWindowsOfEitherInstanceAndStreamTheAlertsTheyRaise() throws Exception {
        LocalStack stack = LocalStack.shared();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
        TopicProvisioner.ensure(stack.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
        AppSerdes serdes = new AppSerdes(registry);
        // in the past: the broker refuses record timestamps more than an hour ahead, and windows carry event time
        Instant start = Instant.now().minus(Duration.ofHours(6)).truncatedTo(ChronoUnit.HOURS);
        Map<String, List<LlmPerfRecords.Request>> leaderboard = new LinkedHashMap<>();
        for (Path file : LlmPerfRecords.files(TestPaths.dataDir())) {
            List<LlmPerfRecords.Request> requests = LlmPerfRecords.read(file);
            leaderboard.put(requests.get(0).toSlmRequest().key(), requests);
        }

        String appId = "slm-edge-it-" + UUID.randomUUID();
        List<Instance> instances = new ArrayList<>();
        try (RedisNamespace redis = RedisNamespace.create("slm_edge");
             KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                     Map.of("bootstrap.servers", stack.bootstrapServers(), "linger.ms", 5),
                     new StringSerializer(), new AvroSerializer<>(registry, false, true))) {
            TokenService tokens = new TokenService(new SigningKeys(redis.redis(), redis.prefix(),
                    KeySeal.withSecret(Base64.getDecoder().decode(KeySeal.newWrapSecret())),
                    LIFETIME, Clock.systemUTC()), redis.redis(), redis.prefix(), new KafkaIdentityAuditSink(producer),
                    () -> null, LIFETIME, Clock.systemUTC());
            token = tokens.issue(new TokenRequest("slm-reader", "platform", EnumSet.of(Capability.SLM_READ), null),
                    "SlmEdgeIT").token();
            AuthHandler auth = new AuthHandler(tokens);
            for (String name : List.of("a", "b")) {
                instances.add(Instance.start(appId, stack, serdes, name, auth));
            }
            StreamsApps.awaitRunningWithTasks(instances.stream().map(Instance::streams).toList());
            Instance a = instances.get(0);

            List<ConversationEvent> events = new ArrayList<>();
            leaderboard.values().forEach(requests -> {
                for (int i = 0; i < requests.size(); i++) {
                    events.add(ReplayPlan.llmPerfEvent(requests.get(i), start.plusMillis(300L * i)));
                }
            });
            send(producer, events);

            // every window through instance A, complete before anything closes it
            int forwarded = 0;
            for (var e : leaderboard.entrySet()) {
                SlmRequest first = e.getValue().get(0).toSlmRequest();
                JsonNode window = awaitMinute(a, first.model(), first.provider(), start, e.getValue().size());
                List<LlmPerfRecords.Request> ok = e.getValue().stream().filter(r -> !r.failed()).toList();
                assertThat(window.get("errors").asLong()).isEqualTo(e.getValue().size() - ok.size());
                double exactP95 = lowerQuantile(ok.stream().mapToDouble(r -> r.endToEndLatencyS() * 1000).toArray(), 0.95);
                assertThat(Math.abs(window.get("latency_p95_ms").asDouble() - exactP95) / exactP95).as(e.getKey())
                        .isLessThanOrEqualTo(0.01);
                HostInfo owner = a.streams.queryMetadataForKey(SlmApp.MINUTE_WINDOWS, e.getKey(),
                        Serdes.String().serializer()).activeHost();
                forwarded += owner.port() == a.peer.port() ? 0 : 1;
            }
            assertThat(forwarded).as("windows answered by instance B through A").isPositive();

            // alerts as SSE: what the state machine says the closed minutes raise with the default SLO
            AlertStateMachine machine = new AlertStateMachine(AlertThresholds.defaults());
            int expectedAlerts = 0;
            for (List<LlmPerfRecords.Request> requests : leaderboard.values()) {
                SlmWindowAggregate window = new SlmWindowAggregate();
                requests.forEach(r -> window.add(r.toSlmRequest()));
                SlmRequest first = requests.get(0).toSlmRequest();
                expectedAlerts += machine.evaluate(first.model(), first.provider(), null,
                        window.summary(Duration.ofMinutes(1))).transitions().size();
            }
            List<JsonNode> alerts;
            List<JsonNode> togetherAlerts;
            Map<String, String> bearer = Map.of("Authorization", "Bearer " + token);
            try (SseClient all = SseClient.open(uri(a, "/v1/slm/alerts/stream"), bearer);
                 SseClient together = SseClient.open(
                         uri(a, "/v1/slm/alerts/stream?model=llama-2-70b-chat&provider=together"), bearer)) {
                all.awaitEvent("ready", TIMEOUT);
                together.awaitEvent("ready", TIMEOUT);
                List<ConversationEvent> closing = new ArrayList<>();
                leaderboard.values().forEach(requests -> closing.add(
                        ReplayPlan.llmPerfEvent(requests.get(0), start.plus(Duration.ofMinutes(10)))));
                send(producer, closing);

                alerts = data(all.awaitEvents(SlmHandlers.ALERT_EVENT, expectedAlerts, TIMEOUT));
                togetherAlerts = data(together.awaitEvents(SlmHandlers.ALERT_EVENT, 1, TIMEOUT));
            }
            assertThat(alerts).hasSize(expectedAlerts);
            assertThat(alerts).extracting(j -> j.get("alert_id").asText()).doesNotHaveDuplicates();
            assertThat(togetherAlerts).singleElement().satisfies(alert -> {
                assertThat(alert.get("metric").asText()).isEqualTo("latency_p95");
                assertThat(alert.get("level").asText()).isEqualTo("BREACH");
            });
            System.out.printf("SLM edge: %d windows, %d answered through a peer, %d alerts streamed%n",
                    leaderboard.size(), forwarded, alerts.size());

            assertThat(get(a, "/v1/slm/metrics?provider=groq").statusCode()).isEqualTo(400);
            assertThat(get(a, "/v1/slm/alerts/stream?model=llama-2-70b-chat").statusCode()).isEqualTo(400);
            HttpResponse<String> backwards = get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&from="
                    + start.plusSeconds(60) + "&to=" + start);
            assertThat(backwards.statusCode()).isEqualTo(422);
            assertThat(JSON.readTree(backwards.body()).get("error").asText()).isEqualTo("invalid");
            assertThat(get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&window=7m").statusCode()).isEqualTo(422);
            assertThat(get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&from=yesterday").statusCode()).isEqualTo(400);
        } finally {
            instances.forEach(Instance::close);
        }
    }

    private static void send(KafkaProducer<String, SpecificRecord> producer, List<ConversationEvent> events) {
        events.forEach(e -> producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), e.getSessionId(), e)));
        producer.flush();
    }

    /** Polls the metrics endpoint until the minute at {@code start} holds {@code requests} requests. */
    private JsonNode awaitMinute(Instance via, String model, String provider, Instant start, int requests) {
        String path = "/v1/slm/metrics?model=" + encode(model) + "&provider=" + encode(provider)
                + "&from=" + start + "&to=" + start.plus(Duration.ofMinutes(1));
        return Await.value("the minute of " + model + "@" + provider + " with " + requests + " requests", TIMEOUT,
                () -> windows(via, path), w -> w.size() == 1 && w.get(0).get("requests").asInt() == requests).get(0);
    }

    /** The {@code windows} of a 200 answer; another answer fails with its status and body. */
    private JsonNode windows(Instance via, String path) {
        HttpResponse<String> response = get(via, path);
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return parse(response.body()).get("windows");
    }

    private HttpResponse<String> get(Instance via, String path) {
        try {
            return http.send(HttpRequest.newBuilder(uri(via, path)).timeout(TIMEOUT)
                            .header("Authorization", "Bearer " + token).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<JsonNode> data(List<SseClient.Event> events) {
        return events.stream().map(e -> parse(e.data())).toList();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static URI uri(Instance via, String path) {
        return URI.create("http://127.0.0.1:" + via.http.port() + path);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static double lowerQuantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return LlmPerfReport.lowerQuantile(sorted, q);
    }

    /** One instance: the SLM app, an edge serving the SLM routes as the process declares them, and a peer listener. */
    private record Instance(KafkaStreams streams, Javalin http, PeerServer peer, SlmHandlers slm) implements AutoCloseable {
        static Instance start(String appId, LocalStack stack, AppSerdes serdes, String name, AuthHandler auth) {
            int peerPort = FreePort.onLoopback();
            StoreQueryService queries = new StoreQueryService(new HostInfo("127.0.0.1", peerPort),
                    Duration.ofSeconds(10), PEER_CREDENTIAL);
            StoreLookups lookups = new StoreLookups(queries);
            PeerServer peer = PeerServer.start("127.0.0.1", peerPort, PEER_CREDENTIAL, lookups);
            SlmHandlers slm = SlmHandlers.start(lookups, stack.bootstrapServers(),
                    serdes.value(Topics.SLM_ALERTS).deserializer(),
                    new SseHub.Settings(256, Duration.ofSeconds(5), 10_000, new SseAdmission(10, 10)), Duration.ofDays(1));
            Javalin http = Javalin.create(c -> {
                c.showJavalinBanner = false;
                c.router.apiBuilder(() -> {
                    ApiBuilder.get("/v1/slm/metrics", slm::metrics, TenantScope.SHARED, Capability.SLM_READ);
                    ApiBuilder.get("/v1/slm/alerts/stream", slm::openAlertStream, TenantScope.SHARED, Capability.SLM_READ);
                });
            });
            ErrorResponses.install(http);
            http.beforeMatched(auth);
            http.start("127.0.0.1", 0);

            SlmApp.Config config = SlmApp.Config.defaults();
            KafkaStreams streams = new KafkaStreams(SlmApp.build(config, serdes),
                    StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(),
                            TestPaths.newWorkDir("slm-edge-" + name))
                            .withApplicationServer("127.0.0.1:" + peerPort).forApp(appId));
            // as the process runs its apps: a failed thread is replaced and its aborted batch redone (two instances
            // registering the repartition subject at the same moment: the registry answers one of them 409)
            streams.setUncaughtExceptionHandler(e -> StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD);
            queries.local().registerWindowStore(SlmApp.MINUTE_WINDOWS, streams, config.windowSize(), StoreTenancy.shared(),
                    SlmHandlers::windowView);
            queries.local().registerWindowStore(SlmApp.HOPPING_WINDOWS, streams, config.hoppingSize(), StoreTenancy.shared(),
                    SlmHandlers::windowView);
            streams.start();
            return new Instance(streams, http, peer, slm);
        }

        @Override
        public void close() {
            StreamsApps.closeLeavingGroup(streams);
            slm.close();
            http.stop();
            peer.close();
        }
    }
}
