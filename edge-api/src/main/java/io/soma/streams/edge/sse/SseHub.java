package io.soma.streams.edge.sse;

import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import io.javalin.json.JavalinJackson;
import io.soma.streams.edge.http.ApiException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fans one Kafka read out to many SSE clients. A single consumer reads the source's topics live; each
 * client has a bounded queue drained by its own sender thread, so a slow client never blocks the reader
 * or other clients. A client whose queue overflows gets a {@code gap} event and is closed; it reconnects
 * with {@code Last-Event-ID} and catches up from Kafka, at most {@link Settings#maxResumeRecords} records back per
 * partition. A client sees only the records of its own tenant ({@link SseSource.SseMessage#tenant}), live and
 * replayed, and every open stream holds a place of {@link SseAdmission}. An event is rendered once for every client
 * that gets it, by the first sender that needs it (not by the reader, the one thread every event goes through); a
 * sender writes whatever its queue holds and flushes once.
 */
public final class SseHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SseHub.class);
    private static final String EVENT_STREAM = "text/event-stream";
    /** What Javalin's own {@code SseClient.sendEvent} would write for the same data. */
    private static final JavalinJackson JSON = new JavalinJackson();
    /** The most deliveries a sender writes before it flushes. */
    private static final int MAX_BATCH = 64;

    private final String name;
    private final SseSource source;
    private final Properties consumerConfig;
    private final Settings settings;
    private final KafkaConsumer<byte[], byte[]> live;
    private final Thread reader;
    private final Map<String, Set<Subscriber>> byChannel = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Subscriber> pendingJoins = new ConcurrentLinkedQueue<>();
    /** Last offset the live reader handed out, per partition: a joining client starts right after it. */
    private final Map<TopicPartition, Long> livePosition = new HashMap<>();
    private final AtomicLong gaps = new AtomicLong();
    private volatile boolean running = true;

    /**
     * @param clientQueue      deliveries a client may fall behind before it gets a {@code gap} and is closed
     * @param keepAlive        the longest a client goes without a byte (a comment when there is no event)
     * @param maxResumeRecords how far back per partition a {@code Last-Event-ID} may resume; older ids resume from
     *                         there, after a {@code gap} event
     * @param admission        the process's limits of open streams, shared by every hub
     */
    public record Settings(int clientQueue, Duration keepAlive, long maxResumeRecords, SseAdmission admission) {
    }

    public SseHub(String name, String bootstrapServers, SseSource source, Settings settings) {
        this.name = name;
        this.source = source;
        this.settings = settings;
        this.consumerConfig = new Properties();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // only committed results are shown: decisions come from exactly-once apps
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.live = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = partitionsOf(live, source.topics());
        live.assign(partitions);
        live.seekToEnd(partitions);
        for (TopicPartition tp : partitions) {
            livePosition.put(tp, live.position(tp) - 1);
        }
        this.reader = new Thread(this::readLive, "sse-" + name + "-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Answers the request with the stream of {@code channel}: only {@code tenant}'s records, or every record when
     * {@code tenant} is null (a stream of data no tenant owns). The caller's tenant must have a free place
     * ({@link SseAdmission}), or the answer is 429 before the stream starts. Call from a route handler.
     */
    public void open(Context ctx, String channel, String tenant, String callerTenant) throws Exception {
        // Javalin streams only to this exact Accept; for any other it answers an empty 200 and never serves the
        // client, which would hold its place for good
        if (!EVENT_STREAM.equals(ctx.header("Accept"))) {
            throw new ApiException(406, "not_acceptable", "this is an event stream: send Accept: " + EVENT_STREAM,
                    Map.of("accept", EVENT_STREAM));
        }
        String lastEventId = ctx.header("Last-Event-ID");
        // a malformed id is a 400 now: once the stream has started, no status can reach the caller
        StreamPosition resumeFrom = lastEventId == null || lastEventId.isBlank() ? null : StreamPosition.decode(lastEventId);
        SseAdmission.Permit permit = settings.admission().admit(callerTenant);
        try {
            new SseHandler(client -> serve(client, channel, tenant, resumeFrom, permit)).handle(ctx);
        } catch (Exception | Error e) {
            permit.close();
            throw e;
        }
    }

    /** Serves one client until it goes away; the permit is freed when it does. */
    void serve(SseClient client, String channel, String tenant, StreamPosition resumeFrom, SseAdmission.Permit permit) {
        Subscriber subscriber = new Subscriber(client, channel, tenant, resumeFrom,
                new ArrayBlockingQueue<>(settings.clientQueue()), permit);
        client.keepAlive();
        client.onClose(() -> remove(subscriber));
        pendingJoins.add(subscriber);
        live.wakeup();
    }

    public int clientCount() {
        return byChannel.values().stream().mapToInt(Set::size).sum() + pendingJoins.size();
    }

    public long gapCount() {
        return gaps.get();
    }

    @Override
    public void close() {
        running = false;
        live.wakeup();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byChannel.values().forEach(set -> set.forEach(Subscriber::stop));
        byChannel.clear();
    }

    private void readLive() {
        try {
            while (running) {
                admitJoiners();
                try {
                    for (ConsumerRecord<byte[], byte[]> record : live.poll(Duration.ofMillis(500))) {
                        dispatch(record);
                        livePosition.put(new TopicPartition(record.topic(), record.partition()), record.offset());
                    }
                } catch (WakeupException e) {
                    // a client joined or we are closing: loop around
                }
            }
        } catch (RuntimeException e) {
            log.error("SSE stream {} stopped reading Kafka", name, e);
        } finally {
            live.close();
        }
    }

    /** Joins happen on the reader thread, between polls, so each client starts exactly after {@link #livePosition}. */
    private void admitJoiners() {
        Subscriber s;
        while ((s = pendingJoins.poll()) != null) {
            if (s.client.terminated()) {
                remove(s);
                continue;
            }
            StreamPosition start = new StreamPosition(livePosition);
            byChannel.computeIfAbsent(s.channel, c -> ConcurrentHashMap.newKeySet()).add(s);
            s.start(start);
        }
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> record) {
        String channel = source.channelOf(record);
        Set<Subscriber> subscribers = channel == null ? null : byChannel.get(channel);
        if (subscribers == null || subscribers.isEmpty()) {
            return;
        }
        SseSource.SseMessage message = source.render(record);
        if (message == null) {
            return;
        }
        Delivery delivery = null;
        for (Subscriber s : subscribers) {
            if (!s.sees(message)) {
                continue;
            }
            if (delivery == null) {
                delivery = new Delivery(new TopicPartition(record.topic(), record.partition()), record.offset(),
                        message);
            }
            if (!s.queue.offer(delivery) && s.overflowed.compareAndSet(false, true)) {
                // counted now: the client's sender may be stuck in a write until the connection times out
                gaps.incrementAndGet();
            }
        }
    }

    private void remove(Subscriber s) {
        Set<Subscriber> set = byChannel.get(s.channel);
        if (set != null) {
            set.remove(s);
            byChannel.computeIfPresent(s.channel, (c, current) -> current.isEmpty() ? null : current);
        }
        pendingJoins.remove(s);
        s.stop();
        s.permit.close();
    }

    private static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, List<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        return partitions;
    }

    /**
     * An event as it goes out after its {@code id:} line (the id is each client's own position): the event name, the
     * data (JSON unless it is a string) one {@code data:} line per line, and the blank line that ends it.
     */
    static byte[] frame(SseSource.SseMessage message) {
        String data = message.data() instanceof String text ? text : JSON.toJsonString(message.data(), Object.class);
        StringBuilder out = new StringBuilder(data.length() + message.event().length() + 16)
                .append("event: ").append(message.event()).append('\n');
        data.lines().forEach(line -> out.append("data: ").append(line).append('\n'));
        return out.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes a frame after the {@code id:} line of the client's position; the caller flushes. */
    private static void write(OutputStream out, StreamPosition position, byte[] frame) throws IOException {
        out.write(("id: " + position.encode() + "\n").getBytes(StandardCharsets.UTF_8));
        out.write(frame);
    }

    /** One record for the clients that see it, rendered once for all of them by the first that writes it. */
    private static final class Delivery {
        final TopicPartition partition;
        final long offset;
        private final SseSource.SseMessage message;
        /** Two senders may both render it first: the same bytes, so either is kept. */
        private volatile byte[] frame;

        Delivery(TopicPartition partition, long offset, SseSource.SseMessage message) {
            this.partition = partition;
            this.offset = offset;
            this.message = message;
        }

        byte[] frame() {
            byte[] rendered = frame;
            if (rendered == null) {
                rendered = SseHub.frame(message);
                frame = rendered;
            }
            return rendered;
        }
    }

    /** One connected client: its queue and the thread that writes to it. */
    private final class Subscriber {
        final SseClient client;
        final String channel;
        /** Whose records this client sees; null: every record. */
        final String tenant;
        final StreamPosition resumeFrom;
        final BlockingQueue<Delivery> queue;
        final SseAdmission.Permit permit;
        final AtomicBoolean overflowed = new AtomicBoolean();
        private Thread sender;

        Subscriber(SseClient client, String channel, String tenant, StreamPosition resumeFrom,
                   BlockingQueue<Delivery> queue, SseAdmission.Permit permit) {
            this.client = client;
            this.channel = channel;
            this.tenant = tenant;
            this.resumeFrom = resumeFrom;
            this.queue = queue;
            this.permit = permit;
        }

        boolean sees(SseSource.SseMessage message) {
            return tenant == null || tenant.equals(message.tenant());
        }

        void start(StreamPosition liveStart) {
            sender = new Thread(() -> send(liveStart), "sse-" + name + "-client");
            sender.setDaemon(true);
            sender.start();
        }

        void stop() {
            if (sender != null) {
                sender.interrupt();
            }
        }

        private void send(StreamPosition liveStart) {
            try {
                StreamPosition position;
                if (resumeFrom == null) {
                    position = liveStart;
                    client.sendEvent("ready", Map.of("stream", name, "channel", channel), position.encode());
                } else {
                    position = catchUp(resumeFrom, liveStart);
                }
                List<Delivery> batch = new ArrayList<>(MAX_BATCH);
                while (!client.terminated() && !Thread.currentThread().isInterrupted()) {
                    if (overflowed.get()) {
                        client.sendEvent("gap", Map.of("reason", "client too slow: events were dropped; "
                                + "reconnect with Last-Event-ID to resume from Kafka"), position.encode());
                        client.close();
                        return;
                    }
                    Delivery first = queue.poll(settings.keepAlive().toMillis(), TimeUnit.MILLISECONDS);
                    if (first == null) {
                        client.sendComment("keep-alive");
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch, MAX_BATCH - 1);
                    OutputStream out = client.ctx().res().getOutputStream();
                    for (Delivery d : batch) {
                        position.advance(d.partition, d.offset);
                        write(out, position, d.frame());
                    }
                    out.flush();
                    batch.clear();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.debug("SSE client on {} went away: {}", channel, e.toString());
                client.close();
            } finally {
                remove(this);
            }
        }

        /** Replays (resumeFrom, liveStart] from Kafka; live deliveries queue up meanwhile. */
        private StreamPosition catchUp(StreamPosition resumeFrom, StreamPosition liveStart) throws IOException {
            Map<TopicPartition, Long> end = liveStart.asMap();
            StreamPosition position = new StreamPosition(end);
            try (KafkaConsumer<byte[], byte[]> replay =
                         new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> behind = new ArrayList<>();
                boolean clipped = false;
                for (var e : end.entrySet()) {
                    // -1: the client got nothing of this partition yet (it was empty then): replay it from the start
                    long asked = resumeFrom.lastDelivered(e.getKey());
                    long from = Math.max(asked, e.getValue() - settings.maxResumeRecords());
                    clipped |= from > asked;
                    if (from < e.getValue()) {
                        behind.add(e.getKey());
                        position.advance(e.getKey(), from);
                    }
                }
                if (clipped) {
                    client.sendEvent("gap", Map.of("reason", "resume_too_old", "message", "this stream resumes at most "
                            + settings.maxResumeRecords() + " records back per partition; older events were skipped"),
                            position.encode());
                }
                replay.assign(behind);
                behind.forEach(tp -> replay.seek(tp, position.lastDelivered(tp) + 1));
                OutputStream out = client.ctx().res().getOutputStream();
                while (!behind.isEmpty() && !client.terminated()) {
                    for (ConsumerRecord<byte[], byte[]> r : replay.poll(Duration.ofMillis(200))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (r.offset() > end.get(tp)) {
                            continue;
                        }
                        position.advance(tp, r.offset());
                        if (channel.equals(source.channelOf(r))) {
                            SseSource.SseMessage m = source.render(r);
                            if (m != null && sees(m)) {
                                write(out, position, frame(m));
                            }
                        }
                    }
                    out.flush();
                    // transaction markers and skipped records count too: done when the reader passed the end
                    behind.removeIf(tp -> replay.position(tp) > end.get(tp));
                    behind.forEach(tp -> position.advance(tp, Math.min(replay.position(tp) - 1, end.get(tp))));
                    replay.assign(behind);
                }
            }
            end.keySet().forEach(tp -> position.advance(tp, end.get(tp)));
            return position;
        }
    }
}
