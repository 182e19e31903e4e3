package io.soma.streams.edge.health;

import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The readiness routes through a real HTTP server and client. */
class HealthHandlerIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldAnswerTheUnauthenticatedProbeFromOneRoundOfChecksAndTheManagementRouteAfresh() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        ReadinessCheck counted = ReadinessCheck.of("postgres", () -> {
            rounds.incrementAndGet();
            return null;
        }, () -> null);
        // a reuse far longer than the test, so that no timing decides the count
        HealthHandler health = new HealthHandler(List.of(counted), Duration.ofMinutes(10));
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false)
                .get("/ready", health::ready).get("/ready-in-detail", health::readyInDetail).start("127.0.0.1", 0);
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(get(app, "/ready").body()).contains("\"postgres\":\"ok\"");
            }
            assertThat(health.isReady()).isTrue();
            assertThat(rounds.get()).as("one round for twenty probes and the metric").isEqualTo(1);

            get(app, "/ready-in-detail");
            get(app, "/ready-in-detail");
            assertThat(rounds.get()).as("the management route checks afresh").isEqualTo(3);
        } finally {
            app.stop();
        }
    }

    /**
     * A round is slow while Kafka or PostgreSQL does not answer: probes that come meanwhile share it rather than
     * each holding a server thread for a round of its own.
     */
    @Test
    void shouldRunOneRoundOfSlowChecksForProbesThatComeTogether() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        ReadinessCheck slow = ReadinessCheck.of("kafka", () -> {
            rounds.incrementAndGet();
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "the brokers do not answer";
        }, () -> null);
        HealthHandler health = new HealthHandler(List.of(slow), Duration.ofMinutes(10));
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false).get("/ready", health::ready)
                .start("127.0.0.1", 0);
        ExecutorService probes = Executors.newFixedThreadPool(20);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(probes.submit(() -> get(app, "/ready")));
            }
            for (Future<HttpResponse<String>> answer : answers) {
                assertThat(answer.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
            }
            assertThat(rounds.get()).as("one round for twenty probes at once").isEqualTo(1);
        } finally {
            probes.shutdownNow();
            app.stop();
        }
    }

    /** A stopping process leaves the load balancer's pool before its listener closes. */
    @Test
    void shouldAnswerNotReadyOnceStoppingWhateverTheChecksSay() throws Exception {
        HealthHandler health = new HealthHandler(List.of(ReadinessCheck.of("redis", () -> null, () -> null)),
                Duration.ofMinutes(10));
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false).get("/ready", health::ready)
                .get("/live", health::live).start("127.0.0.1", 0);
        try {
            assertThat(get(app, "/ready").statusCode()).isEqualTo(200);

            health.stopping();

            HttpResponse<String> stopping = get(app, "/ready");
            assertThat(stopping.statusCode()).isEqualTo(503);
            assertThat(stopping.body()).contains("\"process\":\"stopping\"");
            assertThat(health.isReady()).isFalse();
            assertThat(get(app, "/live").statusCode()).as("stopping is not dead").isEqualTo(200);
        } finally {
            app.stop();
        }
    }

    /** Kubernetes restarts a pod whose live probe fails: the way back for a part that never recovers by itself. */
    @Test
    void shouldFailTheLiveProbeOnlyWhileAPartHasFailedForGood() throws Exception {
        AtomicReference<String> failed = new AtomicReference<>();
        ReadinessCheck policy = ReadinessCheck.of("soma-policy", failed::get, failed::get);
        ReadinessCheck redis = ReadinessCheck.of("redis", () -> "Redis at redis://10.0.0.7:6379 does not answer", () -> null);
        HealthHandler health = new HealthHandler(List.of(policy, redis), Duration.ZERO);
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false).get("/live", health::live)
                .start("127.0.0.1", 0);
        try {
            assertThat(get(app, "/live").statusCode()).as("not ready is not dead").isEqualTo(200);

            failed.set("state ERROR: it does not run again");
            HttpResponse<String> dead = get(app, "/live");

            assertThat(dead.statusCode()).isEqualTo(503);
            assertThat(dead.body()).contains("\"soma-policy\":\"failing\"").doesNotContain("redis", "ERROR");
        } finally {
            app.stop();
        }
    }

    private static HttpResponse<String> get(Javalin app, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
