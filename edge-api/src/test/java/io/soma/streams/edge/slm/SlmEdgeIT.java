package io.soma.streams.edge.slm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.DashboardMetrics;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.SseClient;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.replay.ReplayPlan;
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
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SLM endpoints of two real instances of one deployment, each running only the identity and SLM slices, on a
 * stack of their own (the windows carry event time hours in the past, which the shared broker's stream time would
 * make late): windows held by either instance are answered through the first, and alerts stream as SSE, to a caller
 * with a real token holding slm.read. The LLMPerf leaderboard is replayed through the real broker, one minute per
 * model@provider.
 */
class SlmEdgeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private String token;

    @Test
    // longer than the suite's default of 5 minutes on a loaded machine: its own broker and registry, two processes
    // and 19 windows of a minute each
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldAnswerWindowsOfEitherInstanceAndStreamTheAlertsTheyRaise() throws Exception {
        // in the past: the broker refuses record timestamps more than an hour ahead, and windows carry event time
        Instant start = Instant.now().minus(Duration.ofHours(6)).truncatedTo(ChronoUnit.HOURS);
        Map<String, List<LlmPerfRecords.Request>> leaderboard = new LinkedHashMap<>();
        for (Path file : LlmPerfRecords.files(TestPaths.dataDir())) {
            List<LlmPerfRecords.Request> requests = LlmPerfRecords.read(file);
            leaderboard.put(requests.get(0).toSlmRequest().key(), requests);
        }

        try (EdgeFixture a = EdgeFixture.onOwnStack(Map.of(), List.of(IdentitySlice::start, SlmSlice::start));
             EdgeFixture b = a.anotherInstance();
             KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                     Map.of("bootstrap.servers", a.config().bootstrapServers(), "linger.ms", 5),
                     new StringSerializer(), new AvroSerializer<>(
                             new SchemaRegistryClient(a.config().schemaRegistryUrl()), false, true))) {
            StreamsApps.awaitRunningWithTasks(List.of(a.streams(SlmApp.APPLICATION_ID),
                    b.streams(SlmApp.APPLICATION_ID)));
            assertThat(a.routes()).as("only the identity and SLM slices' routes")
                    .noneMatch(r -> r.path().startsWith("/v1/forecast") || r.path().startsWith("/v1/training"));

            List<ConversationEvent> events = new ArrayList<>();
            leaderboard.values().forEach(requests -> {
                for (int i = 0; i < requests.size(); i++) {
                    events.add(ReplayPlan.llmPerfEvent(requests.get(i), start.plusMillis(300L * i)));
                }
            });
            // the replay's tenant sees the models it called; another tenant sees only those it called too
            token = a.tokenFor(events.get(0).getTenant(), "slm-reader", EnumSet.of(Capability.SLM_READ));
            String other = a.tokenFor("slm-edge-other", "slm-reader", EnumSet.of(Capability.SLM_READ));
            send(producer, events);

            // every window through instance A, complete before anything closes it
            int forwarded = 0;
            Map<String, JsonNode> minutes = new LinkedHashMap<>();
            for (var e : leaderboard.entrySet()) {
                SlmRequest first = e.getValue().get(0).toSlmRequest();
                JsonNode window = awaitMinute(a, first.model(), first.provider(), start, e.getValue().size());
                minutes.put(e.getKey(), window);
                List<LlmPerfRecords.Request> ok = e.getValue().stream().filter(r -> !r.failed()).toList();
                assertThat(window.get("errors").asLong()).isEqualTo(e.getValue().size() - ok.size());
                double exactP95 = lowerQuantile(ok.stream().mapToDouble(r -> r.endToEndLatencyS() * 1000).toArray(), 0.95);
                assertThat(Math.abs(window.get("latency_p95_ms").asDouble() - exactP95) / exactP95).as(e.getKey())
                        .isLessThanOrEqualTo(0.01);
                HostInfo owner = a.streams(SlmApp.APPLICATION_ID).queryMetadataForKey(SlmApp.MINUTE_WINDOWS,
                        e.getKey(), Serdes.String().serializer()).activeHost();
                forwarded += owner.port() == a.peerPort() ? 0 : 1;
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
            String togetherMetrics = "/v1/slm/metrics?model=llama-2-70b-chat&provider=together&from=" + start
                    + "&to=" + start.plus(Duration.ofMinutes(20));
            assertThat(get(a, togetherMetrics, other).statusCode()).isEqualTo(404);
            List<JsonNode> otherAlerts;
            String readyOfOther;
            try (SseClient all = SseClient.open(uri(a, "/v1/slm/alerts/stream"), bearer);
                 SseClient together = SseClient.open(
                         uri(a, "/v1/slm/alerts/stream?model=llama-2-70b-chat&provider=together"), bearer);
                 SseClient allOfOther = SseClient.open(uri(a, "/v1/slm/alerts/stream"),
                         Map.of("Authorization", "Bearer " + other))) {
                all.awaitEvent("ready", TIMEOUT);
                together.awaitEvent("ready", TIMEOUT);
                readyOfOther = allOfOther.awaitEvent("ready", TIMEOUT).id();
                // the other tenant calls one model, later than the replay: that call closes the model's minute, after
                // the tenant is among its callers
                ConversationEvent otherCall = ConversationEvent.newBuilder(ReplayPlan.llmPerfEvent(
                        leaderboard.get("llama-2-70b-chat@together").get(0), start.plus(Duration.ofMinutes(10))))
                        .setTenant("slm-edge-other").build();
                send(producer, List.of(otherCall));
                Await.until("the other tenant among the model's callers", TIMEOUT,
                        () -> get(a, togetherMetrics, other).statusCode() == 200);
                List<ConversationEvent> closing = new ArrayList<>();
                leaderboard.values().forEach(requests -> closing.add(
                        ReplayPlan.llmPerfEvent(requests.get(0), start.plus(Duration.ofMinutes(10)))));
                send(producer, closing);

                alerts = data(all.awaitEvents(SlmHandlers.ALERT_EVENT, expectedAlerts, TIMEOUT));
                togetherAlerts = data(together.awaitEvents(SlmHandlers.ALERT_EVENT, 1, TIMEOUT));
                otherAlerts = data(allOfOther.awaitEvents(SlmHandlers.ALERT_EVENT, togetherAlerts.size(), TIMEOUT));
            }
            List<String> togetherIds = togetherAlerts.stream().map(j -> j.get("alert_id").asText()).toList();
            assertThat(otherAlerts).as("the other tenant's first alerts: of the one model it called")
                    .extracting(j -> j.get("alert_id").asText()).containsExactlyElementsOf(togetherIds);
            // resumed from before them all, it is given the one model's alert again
            try (SseClient resumed = SseClient.open(uri(a, "/v1/slm/alerts/stream"),
                    Map.of("Authorization", "Bearer " + other, "Last-Event-ID", readyOfOther))) {
                assertThat(data(resumed.awaitEvents(SlmHandlers.ALERT_EVENT, togetherIds.size(), TIMEOUT)))
                        .as("the other tenant's first alerts, replayed")
                        .extracting(j -> j.get("alert_id").asText()).containsExactlyElementsOf(togetherIds);
            }
            assertThat(get(a, "/v1/slm/alerts/stream?model=llama-2-70b-chat&provider=groq", other).statusCode())
                    .as("the alerts of a model the tenant never called").isEqualTo(404);
            assertThat(alerts).hasSize(expectedAlerts);
            assertThat(alerts).extracting(j -> j.get("alert_id").asText()).doesNotHaveDuplicates();
            assertThat(togetherAlerts).singleElement().satisfies(alert -> {
                assertThat(alert.get("metric").asText()).isEqualTo("latency_p95");
                assertThat(alert.get("level").asText()).isEqualTo("BREACH");
            });
            System.out.printf("SLM edge: %d windows, %d answered through a peer, %d alerts streamed%n",
                    leaderboard.size(), forwarded, alerts.size());

            // what the Models dashboard's per-model panels read: each closed minute's p95 and error rate, exported
            // by the instance that closed it
            double minuteEnd = start.plus(Duration.ofMinutes(1)).getEpochSecond();
            for (var e : minutes.entrySet()) {
                SlmRequest first = leaderboard.get(e.getKey()).get(0).toSlmRequest();
                Map<String, String> labels = Map.of("model", first.model(), "provider", first.provider());
                JsonNode minute = e.getValue();
                Await.until(e.getKey() + "'s minute on /metrics of either instance", TIMEOUT, () -> {
                    String scrapes = get(a, "/metrics").body() + get(b, "/metrics").body();
                    return isAbout(DashboardMetrics.sample(scrapes, "slm_latency_p95_seconds", labels),
                            minute.get("latency_p95_ms").asDouble() / 1000)
                            && isAbout(DashboardMetrics.sample(scrapes, "slm_error_rate", labels),
                            minute.get("error_rate").asDouble())
                            && isAbout(DashboardMetrics.sample(scrapes, "slm_window_end_timestamp_seconds", labels),
                            minuteEnd);
                });
            }

            assertThat(get(a, "/v1/slm/metrics?provider=groq").statusCode()).isEqualTo(400);
            assertThat(get(a, "/v1/slm/alerts/stream?model=llama-2-70b-chat").statusCode()).isEqualTo(400);
            HttpResponse<String> backwards = get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&from="
                    + start.plusSeconds(60) + "&to=" + start);
            assertThat(backwards.statusCode()).isEqualTo(422);
            assertThat(JSON.readTree(backwards.body()).get("error").asText()).isEqualTo("invalid");
            assertThat(get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&window=7m").statusCode()).isEqualTo(422);
            assertThat(get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&from=yesterday").statusCode()).isEqualTo(400);
            // a time past what epoch milliseconds hold: a bad request, not a 500
            assertThat(get(a, "/v1/slm/metrics?model=llama-2-70b-chat&provider=groq&to=%2B300000000-01-01T00:00:00Z")
                    .statusCode()).isEqualTo(400);
        }
    }

    private static void send(KafkaProducer<String, SpecificRecord> producer, List<ConversationEvent> events) {
        events.forEach(e -> producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), e.getSessionId(), e)));
        producer.flush();
    }

    /** Polls the metrics endpoint until the minute at {@code start} holds {@code requests} requests. */
    private JsonNode awaitMinute(EdgeFixture via, String model, String provider, Instant start, int requests) {
        String path = "/v1/slm/metrics?model=" + encode(model) + "&provider=" + encode(provider)
                + "&from=" + start + "&to=" + start.plus(Duration.ofMinutes(1));
        return Await.value("the minute of " + model + "@" + provider + " with " + requests + " requests", TIMEOUT,
                () -> windows(via, path), w -> w.size() == 1 && w.get(0).get("requests").asInt() == requests).get(0);
    }

    /** The {@code windows} of a 200 answer; another answer fails with its status and body. */
    private JsonNode windows(EdgeFixture via, String path) {
        HttpResponse<String> response = get(via, path);
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.statusCode() + " " + response.body());
        }
        return parse(response.body()).get("windows");
    }

    private HttpResponse<String> get(EdgeFixture via, String path) {
        return get(via, path, token);
    }

    private HttpResponse<String> get(EdgeFixture via, String path, String bearer) {
        try {
            return http.send(HttpRequest.newBuilder(uri(via, path)).timeout(TIMEOUT)
                            .header("Authorization", "Bearer " + bearer).GET().build(),
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

    private static URI uri(EdgeFixture via, String path) {
        return URI.create("http://127.0.0.1:" + via.port() + path);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A sample equal to {@code expected} but for the last digits of its text form. */
    private static boolean isAbout(OptionalDouble sample, double expected) {
        return sample.isPresent() && Math.abs(sample.getAsDouble() - expected) <= 1e-9 * Math.abs(expected);
    }

    private static double lowerQuantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return LlmPerfReport.lowerQuantile(sorted, q);
    }
}
