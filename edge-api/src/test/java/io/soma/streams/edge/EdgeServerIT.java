package io.soma.streams.edge;

import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The edge's listener as the process stops it, through a real HTTP client. */
class EdgeServerIT {
    /**
     * A stop (a rolling update's SIGTERM) while a step waits for its reply: the caller gets its answer, not a reset
     * connection after which it would retry what may have been done.
     */
    @Test
    void shouldAnswerTheRequestsInProgressBeforeItStops() throws Exception {
        CountDownLatch inProgress = new CountDownLatch(1);
        Javalin app = EdgeServer.create(config -> { }).get("/slow", ctx -> {
            inProgress.countDown();
            Thread.sleep(2_000);
            ctx.result("done");
        }).start("127.0.0.1", 0);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        CompletableFuture<HttpResponse<String>> answer = http.sendAsync(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.port() + "/slow")).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(inProgress.await(30, TimeUnit.SECONDS)).isTrue();

        app.stop();

        HttpResponse<String> answered = answer.get(60, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(200);
        assertThat(answered.body()).isEqualTo("done");
    }
}
