package io.soma.streams.edge.sse;

import io.javalin.Javalin;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.EdgeFixture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The SSE hub against the real broker: many clients, a stalled client, resume by Last-Event-ID. */
class SseHubIT {
    private static final String TOPIC = "sse-hub-it";
    private static LocalStack stack;
    private static KafkaProducer<String, String> producer;
    private static SseHub hub;
    private static Javalin app;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startHub() throws Exception {
        stack = LocalStack.shared();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
        }
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), new StringSerializer());
        hub = new SseHub("test", stack.bootstrapServers(), new SseSource() {
            @Override
            public List<String> topics() {
                return List.of(TOPIC);
            }

            @Override
            public String channelOf(ConsumerRecord<byte[], byte[]> record) {
                return new String(record.key(), StandardCharsets.UTF_8);
            }

            @Override
            public SseMessage render(ConsumerRecord<byte[], byte[]> record) {
                return new SseMessage("message", new String(record.value(), StandardCharsets.UTF_8));
            }
        }, 64, Duration.ofMillis(200));
        app = Javalin.create(c -> c.showJavalinBanner = false)
                .sse("/stream", client -> hub.serve(client, client.ctx().queryParam("channel")))
                .start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        app.stop();
        hub.close();
        producer.close();
    }

    @Test
    void shouldLeaveNoClientBehindAfterAThousandConnectsAndDisconnects() throws Exception {
        for (int batch = 0; batch < 10; batch++) {
            List<CompletableFuture<Void>> connections = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                connections.add(http.sendAsync(request("churn-" + i, null), HttpResponse.BodyHandlers.ofLines())
                        .thenAccept(response -> {
                            try (Stream<String> lines = response.body()) {
                                // read up to the ready event, then hang up
                                assertThat(lines.filter(l -> l.startsWith("event: ready")).findFirst()).isPresent();
                            }
                        }));
            }
            CompletableFuture.allOf(connections.toArray(CompletableFuture[]::new)).get();
        }
        // closed connections are noticed on the next keep-alive write
        EdgeFixture.awaitUntil(() -> hub.clientCount() == 0, Duration.ofSeconds(30));
        assertThat(hub.clientCount()).isZero();
    }

    @Test
    void shouldDeliverToAFastClientWhileAnotherIsStalled() throws Exception {
        String channel = "stall";
        try (Socket stalled = new Socket("127.0.0.1", app.port())) {
            OutputStream out = stalled.getOutputStream();
            out.write(("GET /stream?channel=" + channel + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // the stalled client never reads; the fast one must still get every event
            SseReader fast = SseReader.open(http, request(channel, null));
            fast.awaitEvent("ready");
            // far more than the socket buffers of the stalled connection can absorb
            String payload = "x".repeat(64 * 1024);
            int events = 600;
            for (int i = 0; i < events; i++) {
                producer.send(new ProducerRecord<>(TOPIC, channel, i + ":" + payload));
            }
            producer.flush();
            List<String> received = fast.awaitEvents("message", events, Duration.ofSeconds(60));
            assertThat(received).hasSize(events);
            assertThat(received.get(events - 1)).startsWith((events - 1) + ":");
            fast.close();
            // the stalled client overflowed its bounded queue instead of holding anything up
            EdgeFixture.awaitUntil(() -> hub.gapCount() >= 1, Duration.ofSeconds(30));
            assertThat(hub.gapCount()).isPositive();
        }
    }

    @Test
    void shouldResumeFromLastEventIdWithoutLossOrRepeat() throws Exception {
        String channel = "resume";
        SseReader first = SseReader.open(http, request(channel, null));
        first.awaitEvent("ready");
        for (int i = 0; i < 3; i++) {
            producer.send(new ProducerRecord<>(TOPIC, channel, "before-" + i)).get();
        }
        assertThat(first.awaitEvents("message", 3, Duration.ofSeconds(30)))
                .containsExactly("before-0", "before-1", "before-2");
        String lastId = first.lastId();
        first.close();

        for (int i = 0; i < 2; i++) {
            producer.send(new ProducerRecord<>(TOPIC, channel, "while-away-" + i)).get();
        }
        SseReader second = SseReader.open(http, request(channel, lastId));
        producer.send(new ProducerRecord<>(TOPIC, channel, "after")).get();
        assertThat(second.awaitEvents("message", 3, Duration.ofSeconds(30)))
                .containsExactly("while-away-0", "while-away-1", "after");
        second.close();
    }

    private static HttpRequest request(String channel, String lastEventId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.port() + "/stream?channel=" + channel))
                .header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return b.build();
    }

    /** Reads an SSE response line by line on its own thread. */
    static final class SseReader implements AutoCloseable {
        private final List<String[]> events = new ArrayList<>();
        private final Thread thread;
        private final HttpResponse<java.io.InputStream> response;

        private SseReader(HttpResponse<java.io.InputStream> response) {
            this.response = response;
            this.thread = new Thread(this::read, "sse-test-reader");
            thread.setDaemon(true);
            thread.start();
        }

        static SseReader open(HttpClient http, HttpRequest request) throws Exception {
            return new SseReader(http.send(request, HttpResponse.BodyHandlers.ofInputStream()));
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String event = null;
                String id = null;
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ")) {
                        synchronized (events) {
                            events.add(new String[] {event, id, line.substring(6)});
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // closed by the test
            }
        }

        void awaitEvent(String name) throws InterruptedException {
            EdgeFixture.awaitUntil(() -> count(name) > 0, Duration.ofSeconds(30));
            assertThat(count(name)).as("event " + name).isPositive();
        }

        List<String> awaitEvents(String name, int n, Duration timeout) throws InterruptedException {
            EdgeFixture.awaitUntil(() -> count(name) >= n, timeout);
            synchronized (events) {
                return events.stream().filter(e -> name.equals(e[0])).map(e -> e[2]).toList();
            }
        }

        String lastId() {
            synchronized (events) {
                return events.get(events.size() - 1)[1];
            }
        }

        private long count(String name) {
            synchronized (events) {
                return events.stream().filter(e -> name.equals(e[0])).count();
            }
        }

        @Override
        public void close() throws Exception {
            response.body().close();
        }
    }
}
