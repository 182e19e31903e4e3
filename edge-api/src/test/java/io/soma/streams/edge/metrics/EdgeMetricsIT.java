package io.soma.streams.edge.metrics;

import io.javalin.Javalin;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The edge's request metrics through a real HTTP server and client. */
class EdgeMetricsIT {
    /**
     * A stream's lifetime is no request latency: one that lasted an hour would set off the latency alert. A probe's
     * 503 while a pod restores its state is no user's error.
     */
    @Test
    void shouldTimeNeitherAnEventStreamNorAHealthProbe() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false)
                .get("/stream", ctx -> {
                    ctx.contentType("text/event-stream");
                    Thread.sleep(300);
                    ctx.result(": keep-alive\n");
                })
                .get("/answer", ctx -> ctx.result("ok"))
                .get("/health/ready", ctx -> ctx.status(503).result("restoring"));
        new EdgeMetrics(registry).install(app);
        app.start("127.0.0.1", 0);
        try {
            HttpClient http = HttpClient.newHttpClient();
            for (String path : new String[] {"/stream", "/answer", "/health/ready"}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                        + path)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isIn(200, 503);
            }
        } finally {
            app.stop();
        }

        ByteArrayOutputStream scrape = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(scrape, registry.scrape());
        String metrics = scrape.toString(StandardCharsets.UTF_8);
        assertThat(metrics).contains("orchestrator_requests_total{decision=\"none\",route=\"/stream\"} 1")
                .contains("edge_request_duration_seconds_count{method=\"GET\",route=\"/answer\",status=\"200\"} 1")
                .doesNotContain("edge_request_duration_seconds_count{method=\"GET\",route=\"/stream\"")
                // a pod restoring its state answers its probes 503: no user's error
                .doesNotContain("route=\"/health/ready\",status=\"503\"");
    }
}
