package io.soma.streams.edge.sse;

import io.javalin.Javalin;
import io.soma.streams.avro.RulePackReply;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.serde.AvroDeserializer;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.stores.kafka.AddedPartitions;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.SseClient;
import io.soma.streams.testkit.TcpProxy;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;
import java.util.stream.Stream;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SSE hub against the real broker: many clients, a stalled client, resume by Last-Event-ID, how far back a resume
 * may go, and clients that see only their own tenant's records. A record's value {@code tenant|text} is that tenant's;
 * a value without {@code |} is no tenant's.
 */
class SseHubIT {
    private static final String TOPIC = "sse-hub-it";
    private static LocalStack stack;
    private static KafkaProducer<String, String> producer;
    private static SseHub hub;
    private static Javalin app;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Why the caller of a channel's streams may no longer read (as a revoked token would), by channel. */
    private static final Map<String, SseHub.Refusal> REFUSED = new ConcurrentHashMap<>();
    /** Far above what the tests open at once: limits are not what they test. */
    private static final SseAdmission ADMISSION = new SseAdmission(10_000, 10_000);
    private static final int MAX_RESUME_RECORDS = 50;
    /** What a client's queue may hold: far fewer bytes than its 64 deliveries of up to 256 KiB. */
    private static final int QUEUE_BYTES = 1024 * 1024;
    private static final SseHub.Settings SETTINGS = new SseHub.Settings(64, QUEUE_BYTES, Duration.ofMillis(200),
            MAX_RESUME_RECORDS, ADMISSION);
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    @BeforeAll
    static void startHub() throws Exception {
        stack = LocalStack.shared();
        // the hub looks up the topic's partitions once: it must be listed by then
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(TOPIC, 3, (short) 1));
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), new StringSerializer());
        hub = new SseHub("test", stack.bootstrapServers(), source(TOPIC), SETTINGS);
        app = serve(hub);
    }

    @AfterAll
    static void stop() {
        app.stop();
        hub.close();
        producer.close();
    }

    @Test
    void shouldLeaveNoClientBehindAfterAThousandConnectsAndDisconnects() throws Exception {
        // the endless bodies are read here, never on the test thread (thenAccept would run on it when the
        // response came before the callback was attached)
        ExecutorService readers = Executors.newFixedThreadPool(8, daemon("sse-churn-reader"));
        try {
            for (int batch = 0; batch < 10; batch++) {
                List<CompletableFuture<Void>> connections = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    HttpRequest request = HttpRequest.newBuilder(uri("churn-" + i)).timeout(TIMEOUT)
                            .header("Accept", "text/event-stream").GET().build();
                    connections.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                            .thenAcceptAsync(SseHubIT::readUntilReadyAndHangUp, readers));
                }
                CompletableFuture.allOf(connections.toArray(CompletableFuture[]::new))
                        .get(TIMEOUT.toSeconds(), SECONDS);
            }
        } finally {
            readers.shutdownNow();
        }
        // closed connections are noticed on the next keep-alive write
        Await.until("no client left in the hub", TIMEOUT, () -> hub.clientCount() == 0);
        Await.until("every admitted stream's place freed", TIMEOUT, () -> ADMISSION.openStreams() == 0);
    }

    private static void readUntilReadyAndHangUp(HttpResponse<Stream<String>> response) {
        try (Stream<String> lines = response.body()) {
            assertThat(lines.anyMatch(l -> l.startsWith("event: ready"))).as("a ready event").isTrue();
        }
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Test
    void shouldServeManyClientsWithoutAThreadForEach() throws Exception {
        String channel = "many";
        int clients = 200;
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                open.add(SseClient.open(uri(channel), Map.of()));
            }
            for (SseClient client : open) {
                client.awaitEvent("ready", TIMEOUT);
            }
            producer.send(new ProducerRecord<>(TOPIC, channel, "to-all")).get(TIMEOUT.toSeconds(), SECONDS);
            for (SseClient client : open) {
                assertThat(data(client.awaitEvents("message", 1, TIMEOUT))).containsExactly("to-all");
            }
            // the hub's reader, writers and caller re-check (a resume of another test may still be finishing): a
            // thread per client would be 200 more
            long hubThreads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .filter(n -> n.startsWith("sse-test-") && !n.startsWith("sse-test-resume")).count();
            assertThat(hubThreads).isLessThanOrEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()) + 2);
        } finally {
            open.forEach(SseClient::close);
        }
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
            long gapsBefore = hub.gapCount();
            int events = 600;
            try (SseClient fast = SseClient.open(uri(channel), Map.of())) {
                fast.awaitEvent("ready", TIMEOUT);
                // far more than the socket buffers of the stalled connection can absorb, sent a few at a time: all at
                // once, a fast client whose reader the machine starves could overflow its own queue too
                String payload = "x".repeat(64 * 1024);
                for (int i = 0; i < events; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, channel, i + ":" + payload));
                    if ((i + 1) % 32 == 0 || i == events - 1) {
                        producer.flush();
                        fast.awaitEvents("message", i + 1, TIMEOUT);
                    }
                }
                List<String> received = data(fast.awaitEvents("message", events, TIMEOUT));
                assertThat(received).hasSize(events);
                assertThat(received.get(events - 1)).startsWith((events - 1) + ":");
            }
            // the stalled client overflowed its bounded queue instead of holding anything up
            Await.until("a gap for the stalled client", TIMEOUT, () -> hub.gapCount() > gapsBefore);
        }
    }

    @Test
    void shouldEndAStalledClientsStreamWithTheGapOnceItReadsAgain() throws Exception {
        String channel = "stall-then-read";
        try (RawStream stalled = RawStream.ready(channel)) {
            InputStream in = stalled.in();
            long gapsBefore = hub.gapCount();
            String payload = "y".repeat(64 * 1024);
            // queue and socket buffers full, and more: the hub drops this client instead of waiting for it
            for (int i = 0; i < 600 && hub.gapCount() == gapsBefore; i++) {
                producer.send(new ProducerRecord<>(TOPIC, channel, i + ":" + payload)).get(TIMEOUT.toSeconds(), SECONDS);
            }
            assertThat(hub.gapCount()).as("the stalled client overflowed").isGreaterThan(gapsBefore);

            // reading again, it gets what was already on its way, then the reason it is closed, then the end (the
            // last chunk, or the connection closed)
            String rest = readUntil(in, "\r\n0\r\n\r\n");
            assertThat(rest).contains("event: gap\n").contains("client too slow");
        }
    }

    /**
     * A stalled client is dropped once its queue holds the bytes it may, not only once it holds as many records as it
     * may: 64 records of 256 KiB would hold 16 MiB for one client that reads nothing.
     */
    @Test
    void shouldDropAStalledClientOnceItsQueueHoldsItsBytes() throws Exception {
        String channel = "stall-large";
        try (RawStream stalled = RawStream.ready(channel)) {
            long gapsBefore = hub.gapCount();
            String payload = "z".repeat(256 * 1024);
            long mostQueued = 0;
            // until the socket buffers are full and the queue overflows (the other streams' queues are empty meanwhile)
            for (int i = 0; i < 400 && hub.gapCount() == gapsBefore; i++) {
                producer.send(new ProducerRecord<>(TOPIC, channel, i + ":" + payload)).get(TIMEOUT.toSeconds(), SECONDS);
                mostQueued = Math.max(mostQueued, hub.queuedBytes());
            }
            assertThat(hub.gapCount()).as("the stalled client overflowed").isGreaterThan(gapsBefore);
            assertThat(mostQueued).as("bytes queued for the stalled client at most")
                    .isLessThanOrEqualTo(QUEUE_BYTES + payload.length() + 16L);
        }
    }

    /** A stream read byte by byte off its socket, as far as its {@code ready} event, and then only when asked. */
    private record RawStream(Socket socket, InputStream in) implements AutoCloseable {
        static RawStream ready(String channel) throws IOException {
            Socket socket = new Socket("127.0.0.1", app.port());
            socket.getOutputStream().write(("GET /stream?channel=" + channel + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            InputStream in = new BufferedInputStream(socket.getInputStream());
            assertThat(readUntil(in, "event: ready\n")).endsWith("event: ready\n");
            return new RawStream(socket, in);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** What the connection sends up to and including {@code end}, or until it is closed. */
    private static String readUntil(InputStream in, String end) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] endBytes = end.getBytes(StandardCharsets.US_ASCII);
        byte[] last = new byte[endBytes.length];
        int b;
        while ((b = in.read()) >= 0) {
            read.write(b);
            System.arraycopy(last, 1, last, 0, last.length - 1);
            last[last.length - 1] = (byte) b;
            if (Arrays.equals(last, endBytes)) {
                break;
            }
        }
        return read.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldResumeFromLastEventIdWithoutLossOrRepeat() throws Exception {
        String channel = "resume";
        String lastId;
        try (SseClient first = SseClient.open(uri(channel), Map.of())) {
            first.awaitEvent("ready", TIMEOUT);
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(TOPIC, channel, "before-" + i)).get(TIMEOUT.toSeconds(), SECONDS);
            }
            assertThat(data(first.awaitEvents("message", 3, TIMEOUT)))
                    .containsExactly("before-0", "before-1", "before-2");
            lastId = first.lastId();
        }

        for (int i = 0; i < 2; i++) {
            producer.send(new ProducerRecord<>(TOPIC, channel, "while-away-" + i)).get(TIMEOUT.toSeconds(), SECONDS);
        }
        try (SseClient second = SseClient.open(uri(channel), Map.of("Last-Event-ID", lastId))) {
            producer.send(new ProducerRecord<>(TOPIC, channel, "after")).get(TIMEOUT.toSeconds(), SECONDS);
            assertThat(data(second.awaitEvents("message", 3, TIMEOUT)))
                    .containsExactly("while-away-0", "while-away-1", "after");
        }
    }

    @Test
    void shouldShowEachClientOnlyItsOwnTenantsRecordsLiveAndResumed() throws Exception {
        String channel = "one-session-id-two-tenants";
        String readyOfB;
        try (SseClient a = SseClient.open(uri(channel + "&tenant=a"), Map.of());
             SseClient b = SseClient.open(uri(channel + "&tenant=b"), Map.of())) {
            a.awaitEvent("ready", TIMEOUT);
            readyOfB = b.awaitEvent("ready", TIMEOUT).id();
            for (String value : List.of("a|a-0", "b|b-0", "a|a-1", "b|b-1")) {
                producer.send(new ProducerRecord<>(TOPIC, channel, value)).get(TIMEOUT.toSeconds(), SECONDS);
            }
            assertThat(data(a.awaitEvents("message", 2, TIMEOUT))).containsExactly("a-0", "a-1");
            assertThat(data(b.awaitEvents("message", 2, TIMEOUT))).containsExactly("b-0", "b-1");
        }
        // resumed from before all four, then live: one key, one partition, so a leaked a-2 would come before b-2
        try (SseClient b = SseClient.open(uri(channel + "&tenant=b"), Map.of("Last-Event-ID", readyOfB))) {
            assertThat(data(b.awaitEvents("message", 2, TIMEOUT))).containsExactly("b-0", "b-1");
            producer.send(new ProducerRecord<>(TOPIC, channel, "a|a-2")).get(TIMEOUT.toSeconds(), SECONDS);
            producer.send(new ProducerRecord<>(TOPIC, channel, "b|b-2")).get(TIMEOUT.toSeconds(), SECONDS);
            assertThat(data(b.awaitEvents("message", 3, TIMEOUT))).containsExactly("b-0", "b-1", "b-2");
        }
    }

    @Test
    void shouldResumeNoFurtherBackThanItsBoundAndSaySo() throws Exception {
        String channel = "bounded-resume";
        String ready = readyIdOf(uri(channel));
        int written = MAX_RESUME_RECORDS + 10;
        // the bound counts back from what the hub has read when the client joins: wait until it has read them all
        try (SseClient observer = SseClient.open(uri(channel), Map.of())) {
            observer.awaitEvent("ready", TIMEOUT);
            for (int i = 0; i < written; i++) {
                producer.send(new ProducerRecord<>(TOPIC, channel, "r-" + i));
            }
            producer.flush();
            observer.awaitEvents("message", written, TIMEOUT);
        }
        try (SseClient resumed = SseClient.open(uri(channel), Map.of("Last-Event-ID", ready))) {
            SseClient.Event gap = resumed.awaitEvent("gap", TIMEOUT);
            assertThat(gap.data()).contains("resume_too_old");
            // nothing else was written to the partition meanwhile: its last MAX_RESUME_RECORDS records are ours
            assertThat(data(resumed.awaitEvents("message", MAX_RESUME_RECORDS, TIMEOUT)))
                    .containsExactlyElementsOf(IntStream.range(written - MAX_RESUME_RECORDS, written)
                            .mapToObj(i -> "r-" + i).toList());
        }
    }

    /** A client may start with what the topic still holds (an alert raised before it came), then go on live. */
    @Test
    void shouldStartWithWhatTheTopicHoldsWhenAskedToReplayRecentRecords() throws Exception {
        onFreshTopic("replay-recent", (topic, uri, hub) -> {
            producer.send(new ProducerRecord<>(topic, "c", "before-0")).get(TIMEOUT.toSeconds(), SECONDS);
            producer.send(new ProducerRecord<>(topic, "c", "before-1")).get(TIMEOUT.toSeconds(), SECONDS);
            try (SseClient replayed = SseClient.open(URI.create(uri + "&replay=recent"), Map.of());
                 SseClient live = SseClient.open(uri, Map.of())) {
                live.awaitEvent("ready", TIMEOUT);
                assertThat(data(replayed.awaitEvents("message", 2, TIMEOUT))).containsExactly("before-0", "before-1");
                producer.send(new ProducerRecord<>(topic, "c", "after")).get(TIMEOUT.toSeconds(), SECONDS);
                assertThat(data(replayed.awaitEvents("message", 3, TIMEOUT)))
                        .containsExactly("before-0", "before-1", "after");
                assertThat(data(live.awaitEvents("message", 1, TIMEOUT))).containsExactly("after");
            }
            try (SseClient misspelt = SseClient.open(URI.create(uri + "&replay=all"), Map.of())) {
                assertThat(misspelt.status()).isEqualTo(400);
                assertThat(misspelt.errorBody()).contains("replay must be 'recent'");
            }
        });
    }

    @Test
    void shouldReplayAPartitionThatWasEmptyWhenTheClientLeft() throws Exception {
        onFreshTopic("empty", (topic, uri, hub) -> {
            String ready = readyIdOf(uri);
            assertThat(ready).as("nothing delivered of the empty partition").endsWith("/0/-1");
            producer.send(new ProducerRecord<>(topic, "c", "while-away")).get(TIMEOUT.toSeconds(), SECONDS);
            try (SseClient resumed = SseClient.open(uri, Map.of("Last-Event-ID", ready))) {
                assertThat(data(resumed.awaitEvents("message", 1, TIMEOUT))).containsExactly("while-away");
            }
        });
    }

    @Test
    void shouldResumeFromTheOldestRecordLeftAndSaySoWhenRetentionDeletedWhatTheClientMissed() throws Exception {
        onFreshTopic("retention", (topic, uri, hub) -> {
            String ready = readyIdOf(uri);
            List<String> written = List.of("deleted-0", "deleted-1", "kept-0", "kept-1");
            // the hub has read them all once an observer got them: the resume's end is past them
            try (SseClient observer = SseClient.open(uri, Map.of())) {
                observer.awaitEvent("ready", TIMEOUT);
                for (String value : written) {
                    producer.send(new ProducerRecord<>(topic, "c", value)).get(TIMEOUT.toSeconds(), SECONDS);
                }
                observer.awaitEvents("message", written.size(), TIMEOUT);
            }
            // retention, as deleteRecords does it: the partition now starts at kept-0
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
                admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(2))).all()
                        .get(TIMEOUT.toSeconds(), SECONDS);
            }

            try (SseClient resumed = SseClient.open(uri, Map.of("Last-Event-ID", ready))) {
                // before, the replay's seek fell off the log, went to its end and skipped the kept ones silently
                assertThat(resumed.awaitEvent("gap", TIMEOUT).data()).contains("resume_too_old");
                assertThat(data(resumed.awaitEvents("message", 2, TIMEOUT))).containsExactly("kept-0", "kept-1");
            }
        });
    }

    /**
     * A client sees none of many records of another tenant: its id still moves past them (a keep-alive of only an
     * id), so its resume neither replays them nor reports a gap for events it never missed.
     */
    @Test
    void shouldMoveAQuietClientsResumePointPastRecordsItDoesNotSee() throws Exception {
        onFreshTopic("quiet", (topic, uri, hub) -> {
            URI ofA = URI.create(uri + "&tenant=a");
            int others = MAX_RESUME_RECORDS + 10;
            String resumeFrom;
            try (SseClient quiet = SseClient.open(ofA, Map.of());
                 SseClient busy = SseClient.open(URI.create(uri + "&tenant=b"), Map.of())) {
                quiet.awaitEvent("ready", TIMEOUT);
                busy.awaitEvent("ready", TIMEOUT);
                for (int i = 0; i < others; i++) {
                    producer.send(new ProducerRecord<>(topic, "c", "b|b-" + i));
                }
                producer.flush();
                busy.awaitEvents("message", others, TIMEOUT);
                // one partition: b's records are its offsets 0..others-1
                resumeFrom = Await.value("a's last event id past b's records", TIMEOUT, quiet::lastId,
                        id -> id != null && id.endsWith("/0/" + (others - 1)));
                assertThat(quiet.events()).extracting(SseClient.Event::name).containsExactly("ready");
            }
            producer.send(new ProducerRecord<>(topic, "c", "a|a-0")).get(TIMEOUT.toSeconds(), SECONDS);
            try (SseClient resumed = SseClient.open(ofA, Map.of("Last-Event-ID", resumeFrom))) {
                assertThat(data(resumed.awaitEvents("message", 1, TIMEOUT))).containsExactly("a-0");
                assertThat(resumed.events()).extracting(SseClient.Event::name).containsExactly("message");
            }
        });
    }

    /**
     * Behind a load balancer a client resumes on whichever instance it reaches, which may have read less than the one
     * it left: an id past this hub's reading (but below the log's end) is kept, and what the client has is not sent
     * again.
     */
    @Test
    void shouldNotRepeatWhatAClientResumingFromAnInstanceFurtherAheadAlreadyHas() throws Exception {
        onFreshTopic("ahead", (topic, uri, hub) -> {
            try (SseClient observer = SseClient.open(uri, Map.of())) {
                observer.awaitEvent("ready", TIMEOUT);
                for (String value : List.of("r-0", "r-1")) {
                    producer.send(new ProducerRecord<>(topic, "c", value)).get(TIMEOUT.toSeconds(), SECONDS);
                }
                observer.awaitEvents("message", 2, TIMEOUT);
            }
            // in the log before the client comes back, read by this hub or not yet: either way the client has them
            for (String value : List.of("r-2", "r-3")) {
                producer.send(new ProducerRecord<>(topic, "c", value)).get(TIMEOUT.toSeconds(), SECONDS);
            }
            // as another instance that had read r-2 and r-3 already would have sent it
            try (SseClient resumed = SseClient.open(uri, Map.of("Last-Event-ID", topic + "/0/3"))) {
                producer.send(new ProducerRecord<>(topic, "c", "r-4")).get(TIMEOUT.toSeconds(), SECONDS);
                SseClient.Event next = resumed.awaitEvent("message", TIMEOUT);
                assertThat(next.data()).isEqualTo("r-4");
                assertThat(next.id()).isEqualTo(topic + "/0/4");
                assertThat(resumed.events()).hasSize(1);
            }
            // an id past the log's end names no record (a recreated topic, another cluster): not trusted, said so
            try (SseClient unknown = SseClient.open(uri, Map.of("Last-Event-ID", topic + "/0/1000"))) {
                assertThat(unknown.awaitEvent("gap", TIMEOUT).data()).contains("resume_unknown_position");
                producer.send(new ProducerRecord<>(topic, "c", "r-5")).get(TIMEOUT.toSeconds(), SECONDS);
                assertThat(unknown.awaitEvent("message", TIMEOUT).data()).isEqualTo("r-5");
            }
        });
    }

    /**
     * A reader that stops (here an Error out of a source, which no record should cause) would leave every open stream
     * with keep-alives and no event ever again: they end, readiness says why, and a new stream is a 503.
     */
    @Test
    void shouldEndItsStreamsAndSayWhyWhenItsReaderStops() throws Exception {
        onFreshTopic("stopping", failingOn("stop", "a fault that stops the reader"), (topic, uri, stopping) -> {
            try (SseClient open = SseClient.open(uri, Map.of())) {
                open.awaitEvent("ready", TIMEOUT);
                assertThat(stopping.problem()).isNull();
                producer.send(new ProducerRecord<>(topic, "c", "stop")).get(TIMEOUT.toSeconds(), SECONDS);

                Await.until("the open stream ended", TIMEOUT, open::ended);
                assertThat(stopping.problem()).contains("stopped reading Kafka").contains("a fault that stops the reader");
                try (SseClient refused = SseClient.open(uri, Map.of())) {
                    assertThat(refused.status()).isEqualTo(503);
                    assertThat(refused.errorBody()).contains("not_ready");
                }
            }
        });
    }

    /** A record the replay cannot render with an Error: the stream ends and gives its place back. */
    @Test
    void shouldEndAResumeThatFailsWithAnErrorAndFreeItsPlace() throws Exception {
        onFreshTopic("resume-error", failingOn("poison", "a fault while replaying"), (topic, uri, hub) -> {
            String readyId;
            try (SseClient first = SseClient.open(uri, Map.of())) {
                readyId = first.awaitEvent("ready", TIMEOUT).id();
            }
            Await.until("the first client gone", TIMEOUT, () -> hub.clientCount() == 0);
            // nobody reads channel c now, so the reader passes it unrendered (a record on d after it shows when);
            // only the resume renders it
            URI onD = URI.create(uri.toString().replace("channel=c", "channel=d"));
            try (SseClient watcher = SseClient.open(onD, Map.of())) {
                watcher.awaitEvent("ready", TIMEOUT);
                producer.send(new ProducerRecord<>(topic, "c", "poison")).get(TIMEOUT.toSeconds(), SECONDS);
                producer.send(new ProducerRecord<>(topic, "d", "after")).get(TIMEOUT.toSeconds(), SECONDS);
                watcher.awaitEvent("message", TIMEOUT);
            }

            try (SseClient resumed = SseClient.open(uri, Map.of("Last-Event-ID", readyId))) {
                Await.until("the failed resume ended", TIMEOUT, resumed::ended);
            }
            Await.until("its place given back", TIMEOUT, () -> hub.clientCount() == 0);
            assertThat(hub.problem()).as("the hub's reader goes on").isNull();
        });
    }

    /** A test against a hub of its own on a new one-partition topic. */
    @FunctionalInterface
    private interface FreshTopicTest {
        /** @param uri the hub's stream of channel {@code c} */
        void run(String topic, URI uri, SseHub hub) throws Exception;
    }

    private static void onFreshTopic(String name, FreshTopicTest test) throws Exception {
        onFreshTopic(name, SseHubIT::source, test);
    }

    private static void onFreshTopic(String name, Function<String, SseSource> sourceOf, FreshTopicTest test)
            throws Exception {
        onFreshTopic(name, sourceOf, AddedPartitions.CHECK, test);
    }

    private static void onFreshTopic(String name, Function<String, SseSource> sourceOf, Duration partitionCheck,
                                     FreshTopicTest test) throws Exception {
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "sse-hub-it-" + name, 1);
        SseHub fresh = new SseHub(name, stack.bootstrapServers(), sourceOf.apply(topic), SETTINGS, partitionCheck);
        Javalin freshApp = serve(fresh);
        try {
            test.run(topic, URI.create("http://127.0.0.1:" + freshApp.port() + "/stream?channel=c"), fresh);
        } finally {
            freshApp.stop();
            fresh.close();
        }
    }

    /**
     * A partition added to the topic while the hub runs is read from its beginning: its records reach the open
     * streams, and a stream resumed from an id of before it was added replays them.
     */
    @Test
    void shouldDeliverTheRecordsOfAPartitionAddedToItsTopic() throws Exception {
        onFreshTopic("added-partition", SseHubIT::source, Duration.ofSeconds(1), (topic, uri, hub) -> {
            try (SseClient open = SseClient.open(uri, Map.of());
                 Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
                String readyId = open.awaitEvent("ready", TIMEOUT).id();
                admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all()
                        .get(TIMEOUT.toSeconds(), SECONDS);
                producer.send(new ProducerRecord<>(topic, 1, "c", "in the added partition"))
                        .get(TIMEOUT.toSeconds(), SECONDS);

                assertThat(open.awaitEvent("message", TIMEOUT).data()).isEqualTo("in the added partition");
                try (SseClient resumed = SseClient.open(uri, Map.of("Last-Event-ID", readyId))) {
                    assertThat(resumed.awaitEvent("message", TIMEOUT).data()).isEqualTo("in the added partition");
                }
            }
        });
    }

    /**
     * A stopping process ends its streams with an event that says to resume elsewhere, and opens no more: the
     * listener's stop waits for requests in progress, and a stream never ends by itself.
     */
    @Test
    void shouldEndItsStreamsSayingSoAndRefuseNewOnesOnceItStopsServing() throws Exception {
        onFreshTopic("stop-serving", (topic, uri, hub) -> {
            try (SseClient open = SseClient.open(uri, Map.of())) {
                open.awaitEvent("ready", TIMEOUT);

                hub.stopServing();

                assertThat(open.awaitEvent("end", TIMEOUT).data()).contains("unavailable", "stopping");
                Await.until("the stream ended", TIMEOUT, open::ended);
                assertThat(hub.clientCount()).isZero();
                try (SseClient refused = SseClient.open(uri, Map.of())) {
                    assertThat(refused.status()).isEqualTo(503);
                }
            }
        });
    }

    /** A token can expire or be revoked while its stream is open: the stream ends, and says why. */
    @Test
    void shouldEndAStreamOnceItsCallerMayNoLongerReadAndSayWhy() throws Exception {
        String channel = "refused-" + UUID.randomUUID();
        String otherChannel = "still-" + channel;
        try (SseClient refused = SseClient.open(uri(channel), Map.of());
             SseClient other = SseClient.open(uri(otherChannel), Map.of())) {
            refused.awaitEvent("ready", TIMEOUT);
            other.awaitEvent("ready", TIMEOUT);

            REFUSED.put(channel, SseHub.Refusal.unauthorized("revoked: the token was revoked"));

            assertThat(refused.awaitEvent("end", TIMEOUT).data()).contains("unauthorized", "the token was revoked");
            Await.until("the refused stream ended", TIMEOUT, refused::ended);
            producer.send(new ProducerRecord<>(TOPIC, 0, otherChannel, "after")).get(TIMEOUT.toSeconds(), SECONDS);
            assertThat(data(other.awaitEvents("message", 1, TIMEOUT))).containsExactly("after");
        } finally {
            REFUSED.remove(channel);
        }
    }

    @Test
    void shouldSkipARecordItCannotPlaceAndGoOn() throws Exception {
        String channel = "after-a-keyless-record";
        try (SseClient client = SseClient.open(uri(channel), Map.of())) {
            client.awaitEvent("ready", TIMEOUT);
            // this test's source cannot name the channel of a record without a key: it throws. One partition, so
            // the hub reads it first
            producer.send(new ProducerRecord<>(TOPIC, 0, null, "no key")).get(TIMEOUT.toSeconds(), SECONDS);
            producer.send(new ProducerRecord<>(TOPIC, 0, channel, "after")).get(TIMEOUT.toSeconds(), SECONDS);
            assertThat(data(client.awaitEvents("message", 1, TIMEOUT))).containsExactly("after");
        }
    }

    @Test
    void shouldWaitForTheRegistryRatherThanSkipWhatItCannotReadWithoutIt() throws Exception {
        onAvroHubBehindAProxy("registry", hub -> {
            try (SseClient client = SseClient.open(hub.stream("c"), Map.of())) {
                client.awaitEvent("ready", TIMEOUT);
                hub.proxy().cut();
                // a record that is no Avro at all is the record's fault: skipped, whatever the registry does
                hub.raw().send(new ProducerRecord<>(hub.topic(), "c", "not avro".getBytes(StandardCharsets.UTF_8)));
                hub.sendReplies("c", 2);
                // more attempts than records: a hub that skipped them would have stopped trying after two
                Await.until("the hub tried the registry again and again", TIMEOUT, () -> hub.proxy().refused() > 4);
                // the hub is not stuck meanwhile: a client still joins, and starts before the records held back
                try (SseClient joining = SseClient.open(hub.stream("c"), Map.of())) {
                    joining.awaitEvent("ready", TIMEOUT);

                    hub.proxy().restore();
                    assertThat(data(client.awaitEvents("message", 2, TIMEOUT))).containsExactly("request-0", "request-1");
                    assertThat(data(joining.awaitEvents("message", 2, TIMEOUT)))
                            .containsExactly("request-0", "request-1");
                }
            }
        });
    }

    /**
     * A resume whose caller is refused while it waits for the registry stops there: its end event's id names only
     * what it sent, so the client, back with a new token, misses nothing.
     */
    @Test
    void shouldEndARefusedResumeAtWhatItSentSoThatTheNextResumeMissesNothing() throws Exception {
        String channel = "refused-resume";
        onAvroHubBehindAProxy("refused-resume", hub -> {
            URI uri = hub.stream(channel);
            String from = hub.unreadRepliesBehindACutRegistry(channel, 3);
            REFUSED.put(channel, SseHub.Refusal.unauthorized("expired: the token expired"));
            String endId;
            try (SseClient refused = SseClient.open(uri, Map.of("Last-Event-ID", from))) {
                endId = refused.awaitEvent("end", TIMEOUT).id();
                assertThat(refused.events()).extracting(SseClient.Event::name).doesNotContain("message");
            } finally {
                REFUSED.remove(channel);
            }

            hub.proxy().restore();
            try (SseClient again = SseClient.open(uri, Map.of("Last-Event-ID", endId))) {
                assertThat(data(again.awaitEvents("message", 3, TIMEOUT)))
                        .containsExactly("request-0", "request-1", "request-2");
            }
        });
    }

    /**
     * Clients that resume while the registry is away and leave before it is back: each resume waits for the registry,
     * and must notice that its client has gone, or the client's place is held until the registry returns, and every
     * reconnect takes another until the tenant's limit refuses its streams.
     */
    @Test
    void shouldEndAResumeWaitingForTheRegistryOnceItsClientHasGone() throws Exception {
        String channel = "gone-resume";
        onAvroHubBehindAProxy("gone-resume", hub -> {
            URI uri = hub.stream(channel);
            String from = hub.unreadRepliesBehindACutRegistry(channel, 3);
            try {
                int refusedBefore = hub.proxy().refused();
                for (int i = 0; i < 5; i++) {
                    try (SseClient gone = SseClient.open(uri, Map.of("Last-Event-ID", from))) {
                        assertThat(gone.status()).isEqualTo(200);
                    }
                }
                Await.until("every resume whose client left ended", TIMEOUT, () -> hub.sse().clientCount() == 0);
                assertThat(hub.proxy().refused()).as("the resumes waited for the registry").isGreaterThan(refusedBefore);
            } finally {
                hub.proxy().restore();
            }
        });
    }

    /**
     * A hub of its own on a new one-partition topic of Avro replies, whose schemas it resolves through a proxy to
     * the registry that a test may cut; a producer of raw bytes and a serializer that reach the registry directly.
     */
    private record AvroHub(SseHub sse, String topic, int port, TcpProxy proxy, KafkaProducer<String, byte[]> raw,
                           AvroSerializer<RulePackReply> writer) {
        URI stream(String channel) {
            return URI.create("http://127.0.0.1:" + port + "/stream?channel=" + channel);
        }

        /**
         * Replies sent after the id this returns, which no client of the hub has read, with the registry then cut: a
         * resume from the id must ask the registry for their schema, which the hub has not resolved.
         */
        String unreadRepliesBehindACutRegistry(String channel, int n) throws Exception {
            String from = readyIdOf(stream(channel));
            // no live client left to render the replies, which would resolve their schema before the cut
            Await.until("the first client gone", TIMEOUT, () -> sse.clientCount() == 0);
            sendReplies(channel, n);
            proxy.cut();
            return from;
        }

        /** Replies {@code request-0} to {@code request-(n-1)} on {@code channel}, flushed. */
        void sendReplies(String channel, int n) {
            for (int i = 0; i < n; i++) {
                RulePackReply reply = new RulePackReply("request-" + i, "tenant", "accepted", (long) i);
                raw.send(new ProducerRecord<>(topic, channel, writer.serialize(topic, reply)));
            }
            raw.flush();
        }
    }

    @FunctionalInterface
    private interface AvroHubTest {
        void run(AvroHub hub) throws Exception;
    }

    private static void onAvroHubBehindAProxy(String name, AvroHubTest test) throws Exception {
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "sse-hub-it-" + name, 1);
        AvroSerializer<RulePackReply> writer = new AvroSerializer<>(
                new SchemaRegistryClient(stack.schemaRegistryUrl()), false, true);
        try (TcpProxy proxy = TcpProxy.to(URI.create(stack.schemaRegistryUrl()));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                     stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            // a reader of its own, no retries inside the client: each attempt to resolve the schema is one connection
            SchemaRegistryClient readerRegistry = new SchemaRegistryClient(
                    SchemaRegistryConfig.oneAttempt(proxy.url()));
            SseHub avroHub = new SseHub(name, stack.bootstrapServers(),
                    requestIds(topic, new AvroDeserializer<>(RulePackReply.class, readerRegistry)), SETTINGS);
            Javalin avroApp = serve(avroHub);
            try {
                test.run(new AvroHub(avroHub, topic, avroApp.port(), proxy, raw, writer));
            } finally {
                avroApp.stop();
                avroHub.close();
            }
        }
    }

    /** Avro replies keyed by channel, shown as their request ids. */
    private static SseSource requestIds(String topic, AvroDeserializer<RulePackReply> replies) {
        return source(topic, record -> new SseSource.SseMessage("message",
                replies.deserialize(record.topic(), record.headers(), record.value()).getRequestId()));
    }

    /** Records keyed by channel; a value {@code tenant|text} is that tenant's, any other no tenant's. */
    private static SseSource source(String topic) {
        return source(topic, record -> {
            String value = new String(record.value(), StandardCharsets.UTF_8);
            int bar = value.indexOf('|');
            return bar < 0 ? new SseSource.SseMessage("message", value)
                    : new SseSource.SseMessage("message", value.substring(bar + 1), value.substring(0, bar));
        });
    }

    /** Records keyed by channel, each shown as {@code render} makes it. */
    /** A source of the topic's values as messages that fails with an Error rendering the value {@code poison}. */
    private static Function<String, SseSource> failingOn(String poison, String fault) {
        return topic -> source(topic, record -> {
            String value = new String(record.value(), StandardCharsets.UTF_8);
            if (value.equals(poison)) {
                throw new AssertionError(fault);
            }
            return new SseSource.SseMessage("message", value);
        });
    }

    private static SseSource source(String topic, Function<ConsumerRecord<byte[], byte[]>, SseSource.SseMessage> render) {
        return new SseSource() {
            @Override
            public List<String> topics() {
                return List.of(topic);
            }

            @Override
            public String channelOf(ConsumerRecord<byte[], byte[]> record) {
                return new String(record.key(), StandardCharsets.UTF_8);
            }

            @Override
            public SseMessage render(ConsumerRecord<byte[], byte[]> record) {
                return render.apply(record);
            }
        };
    }

    /** {@code /stream?channel=&tenant=}: the tenant stands for the caller's, which the edge takes from the token. */
    private static Javalin serve(SseHub hub) {
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false)
                .get("/stream", ctx -> hub.open(ctx, ctx.queryParam("channel"), ctx.queryParam("tenant"),
                        new SseHub.Caller(ctx.queryParam("tenant") == null ? "test" : ctx.queryParam("tenant"),
                                () -> REFUSED.get(ctx.queryParam("channel")))));
        // the edge's error answers: a refused stream is the JSON error with its status
        ErrorResponses.install(app);
        return app.start("127.0.0.1", 0);
    }

    /** The id of a new stream's {@code ready}: where a client that left before anything was written resumes from. */
    private static String readyIdOf(URI stream) {
        try (SseClient first = SseClient.open(stream, Map.of())) {
            return first.awaitEvent("ready", TIMEOUT).id();
        }
    }

    private static URI uri(String channel) {
        return URI.create("http://127.0.0.1:" + app.port() + "/stream?channel=" + channel);
    }

    private static List<String> data(List<SseClient.Event> events) {
        return events.stream().map(SseClient.Event::data).toList();
    }
}
