package io.soma.streams.edge.health;

import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
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
