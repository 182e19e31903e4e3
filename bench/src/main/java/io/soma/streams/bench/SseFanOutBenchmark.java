package io.soma.streams.bench;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.soma.streams.bench.BenchOutput.log;

/**
 * SSE fan-out of one edge instance: opens {@code bench.clients} session streams
 * ({@code GET /v1/conversation/stream?session_id=}), then sends real replay events (XSTest prompts) round-robin over
 * the sessions straight to {@code conversation.events} at {@code bench.rate} events/s for {@code bench.seconds}, and
 * times each event from its send to its arrival as an {@code event} message on its session's stream (same JVM
 * clock). The edge's RSS is read from /proc before connecting, with every client connected, and at the end. A plain
 * read_committed consumer in the driver reads the same events from Kafka, so the table shows how much of the delay
 * is there before the edge's hub can see an event.
 * Settings: {@code bench.edge} (http://127.0.0.1:8080), {@code bench.token} (a bearer token with the conversation
 * capability), {@code bench.edge.pid}, {@code bench.kafka} (127.0.0.1:9092), {@code bench.registry}
 * (http://127.0.0.1:8081/apis/ccompat/v7), {@code soma.data.dir}, {@code bench.clients} (1000), {@code bench.rate}
 * (1000), {@code bench.seconds} (20).
 */
public final class SseFanOutBenchmark {
    private static final Pattern EVENT_ID = Pattern.compile("\"event_id\":\"([^\"]+)\"");
    /**
     * The tenant of every event, named on every stream: a stream shows one tenant's events only, so the prompts' own
     * tenants would reach none of them (the bench's token is the platform operator's, who may name a tenant).
     */
    private static final String TENANT = "bench-sse";

    private SseFanOutBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String edge = System.getProperty("bench.edge", "http://127.0.0.1:8080");
        String token = System.getProperty("bench.token");
        long edgePid = Long.getLong("bench.edge.pid", -1);
        int clients = Integer.getInteger("bench.clients", 1000);
        int rate = Integer.getInteger("bench.rate", 1000);
        int seconds = Integer.getInteger("bench.seconds", 20);
        List<ConversationEvent> prompts = ReplayPlan.build(Path.of(System.getProperty("soma.data.dir", "../shared/data")),
                Instant.now()).stream().map(ReplayPlan.Scheduled::event).filter(e -> e.getContent() != null).toList();
        String run = "sse-" + System.currentTimeMillis();
        int total = rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        AtomicLongArray sentAt = new AtomicLongArray(total);
        AtomicLongArray latency = new AtomicLongArray(total);
        for (int i = 0; i < total; i++) {
            latency.set(i, -1);
        }
        AtomicInteger decisions = new AtomicInteger();
        AtomicInteger foreign = new AtomicInteger();
        Map<String, Integer> index = new ConcurrentHashMap<>();
        for (int i = 0; i < total; i++) {
            index.put(run + "-e" + i, i);
        }

        log("edge RSS before connecting: %s", rss(edgePid));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        CountDownLatch opened = new CountDownLatch(clients);
        AtomicInteger refused = new AtomicInteger();
        long connectStart = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            String session = run + "-s" + c;
            HttpRequest request = HttpRequest.newBuilder(URI.create(
                            edge + "/v1/conversation/stream?session_id=" + session + "&tenant=" + TENANT))
                    .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").build();
            http.sendAsync(request, info -> {
                if (info.statusCode() != 200) {
                    refused.incrementAndGet();
                }
                opened.countDown();
                return HttpResponse.BodySubscribers.fromLineSubscriber(new SessionStream(session, (type, eventId, at) -> {
                    if (type.equals("decision")) {
                        decisions.incrementAndGet();
                        return;
                    }
                    Integer i = index.get(eventId);
                    if (i == null || !session.equals(run + "-s" + (i % clients))) {
                        foreign.incrementAndGet(); // another session's event would be a leak
                    } else {
                        latency.compareAndSet(i, -1, at - sentAt.get(i));
                    }
                }));
            });
        }
        boolean allOpen = opened.await(120, TimeUnit.SECONDS);
        log("%d of %d streams answered in %.1f s (%d not 200); edge RSS: %s", clients - opened.getCount(), clients,
                (System.nanoTime() - connectStart) / 1e9, refused.get(), rss(edgePid));
        if (!allOpen) {
            log("not every stream opened; measuring the ones that did");
        }
        Thread.sleep(2_000); // let the hub register every subscription before the first event

        String kafka = System.getProperty("bench.kafka", "127.0.0.1:9092");
        // (partition << 40 | offset) -> event index, from the send callbacks; -> arrival, from the plain consumer
        Map<Long, Integer> sentAs = new ConcurrentHashMap<>();
        Map<Long, Long> readAt = new ConcurrentHashMap<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread kafkaReader = kafkaReader(kafka, readAt, reading);
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", kafka, "linger.ms", 0),
                new StringSerializer(), new AvroSerializer<>(new SchemaRegistryClient(
                System.getProperty("bench.registry", "http://127.0.0.1:8081/apis/ccompat/v7")), false, true))) {
            long t0 = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = t0 + i * periodNanos;
                long now = System.nanoTime();
                if (now < due) {
                    LockSupport.parkNanos(due - now);
                }
                String session = run + "-s" + (i % clients);
                ConversationEvent event = ConversationEvent.newBuilder(prompts.get(i % prompts.size()))
                        .setEventId(run + "-e" + i).setSessionId(session).setTenant(TENANT).setTimestamp(Instant.now()).build();
                sentAt.set(i, System.nanoTime());
                int sent = i;
                producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), session, event), (meta, error) -> {
                    if (error == null) {
                        sentAs.put(at(meta.partition(), meta.offset()), sent);
                    }
                });
            }
            producer.flush();
        }
        long drainDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (delivered(latency) < total && System.nanoTime() < drainDeadline) {
            Thread.sleep(200);
        }
        reading.set(false);
        kafkaReader.join(5_000);
        long[] inKafka = sentAs.entrySet().stream().filter(e -> readAt.containsKey(e.getKey()))
                .mapToLong(e -> readAt.get(e.getKey()) - sentAt.get(e.getValue())).sorted().toArray();
        long[] arrived = new long[total];
        int n = 0;
        for (int i = 0; i < total; i++) {
            if (latency.get(i) >= 0) {
                arrived[n++] = latency.get(i);
            }
        }
        arrived = Arrays.copyOf(arrived, n);
        Arrays.sort(arrived);
        System.out.println();
        System.out.printf("SSE fan-out: %,d session streams, %,d events at %,d/s over %d s (%d per session)%n", clients,
                total, rate, seconds, total / clients);
        System.out.printf("| delivered | p50 ms | p99 ms | p99.9 ms | max ms | decisions also streamed | to a wrong session | edge RSS at end |%n");
        System.out.printf("|---|---|---|---|---|---|---|---|%n");
        System.out.printf("| %,d of %,d | %s | %s | %s | %s | %,d | %d | %s |%n", n, total, quantile(arrived, 0.50),
                quantile(arrived, 0.99), quantile(arrived, 0.999), quantile(arrived, 1.0), decisions.get(), foreign.get(),
                rss(edgePid));
        System.out.printf("%nThe same events read by a plain read_committed consumer in the driver (Kafka alone): "
                + "%,d read, p50 %s ms, p99 %s ms, max %s ms%n", inKafka.length, quantile(inKafka, 0.50),
                quantile(inKafka, 0.99), quantile(inKafka, 1.0));
        System.exit(0); // the open streams never end by themselves
    }

    private static long at(int partition, long offset) {
        return (long) partition << 40 | offset;
    }

    /** Reads conversation.events from its end until {@code reading} is cleared, noting when each record came. */
    private static Thread kafkaReader(String kafka, Map<Long, Long> readAt, AtomicBoolean reading) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka,
                "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.CONVERSATION_EVENTS.name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // the end is fixed now, before the first send
        Thread thread = new Thread(() -> {
            try (consumer) {
                while (reading.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        readAt.put(at(r.partition(), r.offset()), System.nanoTime());
                    }
                }
            }
        }, "kafka-alone-reader");
        thread.start();
        return thread;
    }

    private static int delivered(AtomicLongArray latency) {
        int n = 0;
        for (int i = 0; i < latency.length(); i++) {
            n += latency.get(i) >= 0 ? 1 : 0;
        }
        return n;
    }

    private static String quantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "-";
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return String.format("%.1f", sorted[Math.max(0, rank - 1)] / 1e6);
    }

    private static String rss(long pid) {
        if (pid < 0) {
            return "n/a";
        }
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).map(l -> l.substring(6).trim()).findFirst().orElse("n/a");
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** What a stream delivered: its SSE type ({@code event}, {@code decision}), the event id and when it arrived. */
    private interface Delivery {
        void arrived(String type, String eventId, long atNanos);
    }

    /** Reads one session's text/event-stream line by line: an {@code event:} line names the next {@code data:} line. */
    private static final class SessionStream implements Flow.Subscriber<String> {
        private final String session;
        private final Delivery delivery;
        private String type = "message";

        SessionStream(String session, Delivery delivery) {
            this.session = session;
            this.delivery = delivery;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            long at = System.nanoTime();
            if (line.startsWith("event:")) {
                type = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                Matcher m = EVENT_ID.matcher(line);
                if (m.find()) {
                    delivery.arrived(type, m.group(1), at);
                }
                type = "message";
            }
        }

        @Override
        public void onError(Throwable error) {
            log("stream of %s failed: %s", session, error);
        }

        @Override
        public void onComplete() {
        }
    }
}
