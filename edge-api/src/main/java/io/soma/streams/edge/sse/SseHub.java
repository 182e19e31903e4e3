package io.soma.streams.edge.sse;

import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import io.soma.streams.stores.kafka.AddedPartitions;
import io.soma.streams.stores.kafka.FailureStreak;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Fans one Kafka read out to many SSE clients. A single consumer reads the source's topics live; each client has a
 * bounded queue, and a small pool of writers drains the queues into the connections with non-blocking servlet writes:
 * no thread waits on a client, so a slow client never blocks the reader, the writers or other clients, and a thousand
 * open streams need no thousand threads. A client's queue is bounded in deliveries and in bytes (the records' size as
 * read), so that a stalled client cannot hold on to a thousand large records. A client whose queue overflows gets a
 * {@code gap} event and is closed; it
 * reconnects with {@code Last-Event-ID} and catches up from Kafka, at most {@link Settings#maxResumeRecords} records
 * back per partition. A client sees only the records its own tenant may read ({@link SseSource.SseMessage#readers}), live and
 * replayed, and every open stream holds a place of {@link SseAdmission}. An event is rendered once for every client
 * that gets it, by the first writer that needs it (not by the reader, the one thread every event goes through); a
 * writer writes whatever a client's queue holds in one piece. A stream outlives the request that opened it, so on every
 * keep-alive tick a thread of its own checks each stream's caller again ({@link Caller}): a refused stream ends with an
 * {@code end} event saying why.
 */
public final class SseHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SseHub.class);
    private static final String EVENT_STREAM = "text/event-stream";
    /** The query parameter that starts a stream with what its topic still holds, not live. */
    private static final String REPLAY_PARAM = "replay";
    private static final String REPLAY_RECENT = "recent";
    /** What Javalin's own {@code SseClient.sendEvent} would write for the same data. */
    private static final JavalinJackson JSON = new JavalinJackson();
    /**
     * About the most bytes written to a client in one piece (a piece ends after the delivery that reaches it): what a
     * stalled client's connection holds on to until it times out.
     */
    private static final int MAX_PIECE_BYTES = 256 * 1024;
    /** The most a replay's consumer fetches at once. */
    private static final int REPLAY_FETCH_BYTES = 1024 * 1024;
    private static final byte[] KEEP_ALIVE = ": keep-alive\n".getBytes(StandardCharsets.UTF_8);
    /** What ends a block after its {@code id:} line when it carries no event: the id alone moves the client's. */
    private static final byte[] NO_EVENT = "\n".getBytes(StandardCharsets.UTF_8);
    /** How long to wait before reading again a record the schema registry could not resolve, or after a failed poll. */
    private static final Duration RETRY = Duration.ofSeconds(1);
    /** What {@link #render} answers for a record the schema registry could not be reached to read. */
    private static final SseSource.SseMessage REGISTRY_UNAVAILABLE = new SseSource.SseMessage("", null);

    private final String name;
    private final SseSource source;
    private final Properties consumerConfig;
    private final Settings settings;
    /** The live reader's partitions, with those added to the source's topics since it started. */
    private final AddedPartitions livePartitions;
    private final KafkaConsumer<byte[], byte[]> live;
    private final Thread reader;
    /** Writes to the clients, and marks those that have gone a keep-alive without a byte. */
    private final ScheduledExecutorService writers;
    /** Re-checks the streams' callers: it may wait on Redis, which the writers must never do. */
    private final ExecutorService rechecks;
    private final Map<String, Set<Subscriber>> byChannel = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Subscriber> pendingJoins = new ConcurrentLinkedQueue<>();
    /** Last offset the live reader handed out, per partition: a joining client starts right after it. */
    private final Map<TopicPartition, Long> livePosition = new HashMap<>();
    /**
     * {@link #livePosition} as of the reader's last poll, for the writers: every delivery up to it is in its client's
     * queue, so a client whose queue is empty after reading it has been given everything up to it that it sees.
     */
    private volatile Map<TopicPartition, Long> handedOut = Map.of();
    /** Partitions paused at a record the schema registry could not resolve: the record's offset, and when to retry. */
    private final Map<TopicPartition, Long> heldAt = new HashMap<>();
    private final Map<TopicPartition, Long> resumeAt = new HashMap<>();
    private final AtomicLong gaps = new AtomicLong();
    private volatile boolean running = true;
    /** False once the process stops: new streams are refused, and the open ones were ended. */
    private volatile boolean serving = true;
    /** Why the reader stopped on its own (not closed); null while it reads. */
    private volatile String stoppedBy;

    /**
     * @param clientQueue      deliveries a client may fall behind before it gets a {@code gap} and is closed
     * @param clientQueueBytes bytes of records (as read from Kafka) a client may fall behind, likewise; one record
     *                         larger than that is still queued for a client that has nothing queued
     * @param keepAlive        about the longest a client goes without a byte (a comment when there is no event)
     * @param maxResumeRecords how far back per partition a {@code Last-Event-ID} may resume; older ids resume from
     *                         there, after a {@code gap} event
     * @param admission        the process's limits of open streams, shared by every hub
     */
    public record Settings(int clientQueue, long clientQueueBytes, Duration keepAlive, long maxResumeRecords,
                           SseAdmission admission) {
    }

    /**
     * Who reads a stream: its tenant, whose places {@link SseAdmission} counts, and a check made again on every
     * keep-alive tick while the stream lasts, since a token can expire or be revoked after its stream opened.
     *
     * @param refusal why the caller may no longer read (the stream ends with an {@code end} event saying so), or
     *                null while it may
     */
    public record Caller(String tenant, Supplier<Refusal> refusal) {
    }

    /**
     * Why a stream's caller may no longer read: {@code unauthorized} (the token expired or was revoked: reconnecting
     * with it is refused) or {@code unavailable} (it cannot be checked now: reconnect later).
     */
    public record Refusal(String error, String message) {
        public static Refusal unauthorized(String message) {
            return new Refusal("unauthorized", message);
        }

        public static Refusal unavailable(String message) {
            return new Refusal("unavailable", message);
        }
    }

    public SseHub(String name, String bootstrapServers, SseSource source, Settings settings) {
        this(name, bootstrapServers, source, settings, AddedPartitions.CHECK);
    }

    SseHub(String name, String bootstrapServers, SseSource source, Settings settings, Duration partitionCheck) {
        this.name = name;
        this.source = source;
        this.settings = settings;
        this.consumerConfig = new Properties();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // only committed results are shown: decisions come from exactly-once apps
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // a position retention deleted meanwhile goes to the oldest record left, not past every record to the end
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Properties liveConfig = new Properties();
        liveConfig.putAll(consumerConfig);
        liveConfig.putAll(AddedPartitions.consumerSettings(partitionCheck));
        this.live = new KafkaConsumer<>(liveConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.livePartitions = new AddedPartitions(live, source.topics(), partitionCheck);
        Set<TopicPartition> partitions = livePartitions.assigned();
        live.seekToEnd(partitions);
        for (TopicPartition tp : partitions) {
            livePosition.put(tp, live.position(tp) - 1);
        }
        handedOut = Map.copyOf(livePosition);
        // writes never wait on a client, so the writers need no more threads than there are cores
        AtomicInteger writerCount = new AtomicInteger();
        this.writers = Executors.newScheduledThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "sse-" + name + "-writer-" + writerCount.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.rechecks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sse-" + name + "-recheck");
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(1, settings.keepAlive().toMillis() / 2);
        writers.scheduleAtFixedRate(this::markIdleClients, tick, tick, TimeUnit.MILLISECONDS);
        this.reader = new Thread(this::readLive, "sse-" + name + "-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Answers the request with the stream of {@code channel}: only the records {@code tenant} may read, or every record
     * when {@code tenant} is null (a stream of data no tenant owns, or a platform operator's). The caller's tenant must have a free place
     * ({@link SseAdmission}), or the answer is 429 before the stream starts. Call from a route handler.
     */
    public void open(Context ctx, String channel, String tenant, Caller caller) throws Exception {
        // an event stream only for a client that asks for one: any other would wait for events it cannot read
        if (!EVENT_STREAM.equals(ctx.header("Accept"))) {
            throw new ApiException(406, "not_acceptable", "this is an event stream: send Accept: " + EVENT_STREAM,
                    Map.of("accept", EVENT_STREAM));
        }
        if (!running) {
            // a stream that would never get an event: the client should try another instance, or later
            throw ApiException.notReady("stream " + name + " is not reading Kafka on this instance"
                    + (stoppedBy == null ? "" : " (" + stoppedBy + ")") + "; try again");
        }
        if (!serving) {
            throw ApiException.notReady("this instance is stopping; try another");
        }
        // a malformed id or replay is a 400 now: once the stream has started, no status can reach the caller
        StreamPosition resumeFrom = resumeFrom(ctx);
        SseAdmission.Permit permit = settings.admission().admit(caller.tenant());
        try {
            // the headers Javalin's own SseHandler sends, sent now: the 200 is final from here on
            HttpServletResponse res = ctx.res();
            res.setStatus(200);
            res.setCharacterEncoding("UTF-8");
            res.setContentType(EVENT_STREAM);
            res.addHeader("Connection", "close");
            res.addHeader("Cache-Control", "no-cache");
            res.addHeader("X-Accel-Buffering", "no");
            res.flushBuffer();
            Subscriber subscriber = new Subscriber(ctx, channel, tenant, caller, resumeFrom,
                    new ArrayBlockingQueue<>(settings.clientQueue()), permit);
            // Javalin starts the request's async mode before it asks for the future: only then may the client join,
            // whose writes are non-blocking; the request ends when the future completes
            ctx.future(() -> {
                // a stream has no end of its own: whatever the process's default async timeout, never time it out
                ctx.req().getAsyncContext().setTimeout(0);
                pendingJoins.add(subscriber);
                if (running && serving) {
                    live.wakeup();
                } else {
                    // refused since the check above: the reader may never admit it, or admit it after the last end
                    endPendingJoins();
                }
                return subscriber.done;
            });
        } catch (Exception | Error e) {
            permit.close();
            throw e;
        }
    }

    /**
     * Where a stream starts: after its {@code Last-Event-ID}; else, with {@code ?replay=recent}, from what the topic
     * still holds (within the resume bound, after a {@code gap} event if it holds more), so a client sees what
     * happened before it came (an alert still raised); else live (null).
     */
    private static StreamPosition resumeFrom(Context ctx) {
        String lastEventId = ctx.header("Last-Event-ID");
        if (lastEventId != null && !lastEventId.isBlank()) {
            return StreamPosition.decode(lastEventId);
        }
        String replay = ctx.queryParam(REPLAY_PARAM);
        if (replay == null) {
            return null;
        }
        if (!replay.equals(REPLAY_RECENT)) {
            throw ApiException.badRequest(REPLAY_PARAM + " must be '" + REPLAY_RECENT + "' (or absent: live only)");
        }
        return new StreamPosition(Map.of());
    }

    public int clientCount() {
        return byChannel.values().stream().mapToInt(Set::size).sum() + pendingJoins.size();
    }

    public long gapCount() {
        return gaps.get();
    }

    /** Bytes of records queued for the clients, all together: what slow clients hold on to now. */
    public long queuedBytes() {
        return byChannel.values().stream().flatMap(Set::stream).mapToLong(s -> s.queuedBytes.get()).sum();
    }

    /** For readiness: null while the hub reads Kafka, else why its reader stopped. */
    public String problem() {
        String cause = stoppedBy;
        return cause == null ? null : "SSE stream " + name + " stopped reading Kafka: " + cause;
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
        endStreams();
        writers.shutdownNow();
        rechecks.shutdownNow();
    }

    /**
     * Ends every open stream after an {@code end} event saying this instance is stopping, so that its client resumes
     * on another with its {@code Last-Event-ID}, and refuses new ones (503): a stream has no end of its own, and the
     * listener's stop waits for the requests in progress. A stream whose client reads nothing stays until
     * {@link #endStreams}.
     */
    public void stopServing() {
        serving = false;
        Refusal stopping = Refusal.unavailable("this instance is stopping: reconnect with Last-Event-ID");
        openStreams().forEach(s -> s.refuse(stopping));
        endPendingJoins();
    }

    /** Ends every stream still open, without a word: after {@link #stopServing}, those whose client read nothing. */
    public void endStreams() {
        openStreams().forEach(Subscriber::end);
        endPendingJoins();
    }

    private List<Subscriber> openStreams() {
        List<Subscriber> open = new ArrayList<>();
        byChannel.values().forEach(open::addAll);
        return open;
    }

    /** Ends the streams that asked to join a hub that no longer reads (closing, or its reader failed). */
    private void endPendingJoins() {
        Subscriber s;
        while ((s = pendingJoins.poll()) != null) {
            s.end();
        }
    }

    private void readLive() {
        FailureStreak failures = new FailureStreak(log, "SSE stream " + name + " cannot read Kafka", RETRY);
        try {
            while (running) {
                admitJoiners();
                resumeHeldPartitionsDue();
                try {
                    readAddedPartitions();
                    Set<TopicPartition> heldNow = new HashSet<>();
                    for (ConsumerRecord<byte[], byte[]> record : live.poll(Duration.ofMillis(500))) {
                        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                        if (!running) {
                            break;
                        }
                        if (heldNow.contains(partition)) {
                            continue;
                        }
                        if (!dispatchOrSkip(record)) {
                            hold(partition, record.offset());
                            heldNow.add(partition);
                            continue;
                        }
                        livePosition.put(partition, record.offset());
                        heldAt.remove(partition);
                    }
                    if (!livePosition.equals(handedOut)) {
                        handedOut = Map.copyOf(livePosition);
                    }
                    failures.succeeded();
                } catch (WakeupException e) {
                    // a client joined or we are closing: loop around
                } catch (KafkaException e) {
                    // stopping would end every stream of this hub until the process restarts
                    failures.failed(e);
                    Thread.sleep(RETRY.toMillis());
                }
            }
        } catch (RuntimeException | Error e) {
            stoppedBy = e.toString();
            log.error("SSE stream {} stopped reading Kafka", name, e);
        } catch (InterruptedException e) {
            stoppedBy = "interrupted";
            Thread.currentThread().interrupt();
        } finally {
            running = false;
            live.close();
            // open streams would get keep-alives and never an event again: ended, their clients reconnect elsewhere
            endStreams();
        }
    }

    /**
     * Partitions an operator added to a source topic since the reader last looked are read from their beginning (every
     * record there came after this hub started): unread, their events never reached a stream. Between polls, on the
     * reader thread, as every change of {@link #livePosition} is.
     */
    private void readAddedPartitions() {
        List<TopicPartition> added = livePartitions.assignAdded();
        if (!added.isEmpty()) {
            log.info("SSE stream {}: new partitions {}, read from their beginning", name, added);
            added.forEach(tp -> livePosition.put(tp, -1L));
        }
    }

    /** Joins happen on the reader thread, between polls, so each client starts exactly after {@link #livePosition}. */
    private void admitJoiners() {
        Subscriber s;
        while ((s = pendingJoins.poll()) != null) {
            if (s.done.isDone()) {
                continue;
            }
            if (!serving) {
                s.end();
                continue;
            }
            StreamPosition start = new StreamPosition(livePosition);
            Subscriber joining = s;
            // added inside compute: a set that its last client's removal takes out of the map cannot get this one
            byChannel.compute(s.channel, (c, set) -> {
                Set<Subscriber> members = set == null ? ConcurrentHashMap.newKeySet() : set;
                members.add(joining);
                return members;
            });
            s.start(start);
        }
    }

    /**
     * A record that fails to reach its clients (a fault of the record) is skipped: the stream goes on.
     *
     * @return false when the schema registry could not be reached to read it: it is to be read again
     */
    private boolean dispatchOrSkip(ConsumerRecord<byte[], byte[]> record) {
        try {
            return dispatch(record);
        } catch (RuntimeException e) {
            log.warn("SSE stream {} skips {}-{}@{}: {}", name, record.topic(), record.partition(), record.offset(),
                    e.toString());
            return true;
        }
    }

    private boolean dispatch(ConsumerRecord<byte[], byte[]> record) {
        String channel = source.channelOf(record);
        Set<Subscriber> subscribers = channel == null ? null : byChannel.get(channel);
        if (subscribers == null || subscribers.isEmpty()) {
            return true;
        }
        SseSource.SseMessage message = render(record);
        if (message == REGISTRY_UNAVAILABLE) {
            return false;
        }
        if (message == null) {
            return true;
        }
        Delivery delivery = null;
        for (Subscriber s : subscribers) {
            if (!s.sees(message) || s.overflowed.get()) {
                // once one was dropped, nothing after it may be queued: the writer, still draining, would move the
                // client's position past the dropped one, and the resume would start after it
                continue;
            }
            if (delivery == null) {
                delivery = new Delivery(new TopicPartition(record.topic(), record.partition()), record.offset(),
                        message, Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize()));
            }
            if (!s.offer(delivery) && s.overflowed.compareAndSet(false, true)) {
                // counted now: the client's connection may not take a byte until it times out
                gaps.incrementAndGet();
            }
            s.schedule();
        }
        return true;
    }

    /**
     * Reads a record again from its offset once {@link #RETRY} has passed; meanwhile its partition is paused, and the
     * other partitions, clients joining and keep-alives go on. Skipped, the record would be gone from the stream for
     * good, as a client resumes after it by position.
     */
    private void hold(TopicPartition partition, long offset) {
        Long before = heldAt.put(partition, offset);
        if (before == null || before != offset) {
            log.warn("SSE stream {} cannot read {}@{} while the schema registry is unavailable; reading it again "
                    + "until it can", name, partition, offset);
        }
        live.seek(partition, offset);
        live.pause(List.of(partition));
        resumeAt.put(partition, System.nanoTime() + RETRY.toNanos());
    }

    private void resumeHeldPartitionsDue() {
        long now = System.nanoTime();
        List<TopicPartition> due = resumeAt.entrySet().stream().filter(e -> now - e.getValue() >= 0)
                .map(Map.Entry::getKey).toList();
        if (!due.isEmpty()) {
            due.forEach(resumeAt::remove);
            live.resume(due);
        }
    }

    /**
     * The record's event; null to skip it (no event, or a record the source cannot read); or
     * {@link #REGISTRY_UNAVAILABLE} when the schema registry could not be reached to read it.
     */
    private SseSource.SseMessage render(ConsumerRecord<byte[], byte[]> record) {
        try {
            return source.render(record);
        } catch (RuntimeException e) {
            if (SchemaRegistryException.unavailableIn(e)) {
                return REGISTRY_UNAVAILABLE;
            }
            log.warn("SSE stream {} skips unreadable record {}-{}@{}: {}", name, record.topic(), record.partition(),
                    record.offset(), e.toString());
            return null;
        }
    }

    /**
     * A replay's {@link #render}: while the registry cannot be reached, the record is read again every
     * {@link #RETRY} for as long as {@code wanted} (the replay is its client's alone).
     */
    private SseSource.SseMessage renderWaiting(ConsumerRecord<byte[], byte[]> record, BooleanSupplier wanted) {
        SseSource.SseMessage message = render(record);
        while (message == REGISTRY_UNAVAILABLE) {
            try {
                Thread.sleep(RETRY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            if (!wanted.getAsBoolean()) {
                return null;
            }
            message = render(record);
        }
        return message;
    }

    /**
     * Every client that has gone about a keep-alive without a byte gets a comment, which also finds those gone; and
     * every client's caller is checked again, on a thread of its own (the check may wait on Redis).
     */
    private void markIdleClients() {
        try {
            long due = System.nanoTime() - settings.keepAlive().toNanos() / 2;
            byChannel.values().forEach(set -> set.forEach(s -> {
                s.keepAliveIfIdleSince(due);
                if (s.recheckDue.compareAndSet(false, true)) {
                    try {
                        rechecks.execute(s::recheckCaller);
                    } catch (RejectedExecutionException e) {
                        // the hub is closing and ends every stream
                    }
                }
            }));
        } catch (RuntimeException e) {
            // a periodic task that throws is never run again: keep-alives, and finding clients gone, would stop
            log.error("SSE stream {}: keep-alive tick failed", name, e);
        }
    }

    private void remove(Subscriber s) {
        byChannel.computeIfPresent(s.channel, (c, set) -> {
            set.remove(s);
            return set.isEmpty() ? null : set;
        });
        pendingJoins.remove(s);
        s.permit.close();
    }

    /**
     * A replay's consumer: small fetches, as its client reads at its own pace while many resume at once after an
     * instance is lost (by default a consumer holds up to 50 MB a fetch). A larger record still comes, alone.
     */
    private Properties replayConfig() {
        Properties config = new Properties();
        config.putAll(consumerConfig);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, REPLAY_FETCH_BYTES);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, REPLAY_FETCH_BYTES);
        return config;
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

    /** Writes a frame after the {@code id:} line of the client's position. */
    private static void write(OutputStream out, StreamPosition position, byte[] frame) throws IOException {
        out.write(("id: " + position.encode() + "\n").getBytes(StandardCharsets.UTF_8));
        out.write(frame);
    }

    /** A hub's own event ({@code ready}, {@code gap}) at the client's position. */
    private static void write(OutputStream out, StreamPosition position, String event, Map<String, Object> data)
            throws IOException {
        write(out, position, frame(new SseSource.SseMessage(event, data)));
    }

    /** One record for the clients that see it, rendered once for all of them by the first that writes it. */
    private static final class Delivery {
        final TopicPartition partition;
        final long offset;
        /** The record's size as read: about what its message holds on to while it is queued. */
        final int bytes;
        private final SseSource.SseMessage message;
        /** Two writers may both render it first: the same bytes, so either is kept. */
        private volatile byte[] frame;

        Delivery(TopicPartition partition, long offset, SseSource.SseMessage message, int bytes) {
            this.partition = partition;
            this.offset = offset;
            this.message = message;
            this.bytes = bytes;
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

    /**
     * One connected client: its queue, and what goes out to it. Its writes are non-blocking: {@link #pump} writes
     * while the connection takes bytes and returns when it does not; the container calls {@link #onWritePossible}
     * once it does again. A pump runs on a writer (scheduled when a delivery arrives or a keep-alive is due) or on the
     * container's thread, one at a time per client.
     */
    private final class Subscriber implements WriteListener {
        final Context ctx;
        final String channel;
        /** Whose records this client sees; null: every record. */
        final String tenant;
        final Caller caller;
        final StreamPosition resumeFrom;
        final BlockingQueue<Delivery> queue;
        final SseAdmission.Permit permit;
        final AtomicBoolean overflowed = new AtomicBoolean();
        /** {@link Delivery#bytes} of what {@link #queue} holds. */
        final AtomicLong queuedBytes = new AtomicLong();
        /** Why the caller may no longer read: the stream ends with it. */
        final AtomicReference<Refusal> refused = new AtomicReference<>();
        /** A check of the caller is queued or running: a slow Redis must not pile up checks of one stream. */
        final AtomicBoolean recheckDue = new AtomicBoolean();
        /** Completes when the stream ends, for whatever reason; the request ends with it. */
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final AtomicBoolean keepAliveDue = new AtomicBoolean();
        private volatile long lastWriteNanos = System.nanoTime();
        // guarded by this
        private ServletOutputStream out;
        private StreamPosition position;
        private byte[] preamble;
        /**
         * What the hub had handed out when this client's queue was last found empty: nothing up to it is still to
         * come, so the position may move there on every partition, past the records the client does not see.
         */
        private Map<TopicPartition, Long> caughtUpTo;
        /** The position moved since the last id this client was sent. */
        private boolean idBehind;
        private boolean flushPending;
        /** The gap is written: the stream ends once it is out. */
        private boolean ending;

        Subscriber(Context ctx, String channel, String tenant, Caller caller, StreamPosition resumeFrom,
                   BlockingQueue<Delivery> queue, SseAdmission.Permit permit) {
            this.ctx = ctx;
            this.channel = channel;
            this.tenant = tenant;
            this.caller = caller;
            this.resumeFrom = resumeFrom;
            this.queue = queue;
            this.permit = permit;
            done.whenComplete((ignored, failure) -> remove(this));
        }

        /**
         * Queues a delivery unless the queue is full in deliveries or in bytes; only the hub's reader calls it. A
         * delivery larger than the byte bound goes into an empty queue: refused, no client could ever have it.
         */
        boolean offer(Delivery d) {
            long queued = queuedBytes.get();
            if (queued > 0 && queued + d.bytes > settings.clientQueueBytes()) {
                return false;
            }
            if (!queue.offer(d)) {
                return false;
            }
            queuedBytes.addAndGet(d.bytes);
            return true;
        }

        boolean sees(SseSource.SseMessage message) {
            return tenant == null || message.readers() != null && message.readers().include(tenant);
        }

        /** Starts the stream after {@code liveStart}: ready at once, or once what it missed is replayed. */
        void start(StreamPosition liveStart) {
            if (resumeFrom == null) {
                try {
                    ByteArrayOutputStream ready = new ByteArrayOutputStream();
                    write(ready, liveStart, "ready", Map.of("stream", name, "channel", channel));
                    goLive(liveStart, ready.toByteArray());
                } catch (IOException | RuntimeException e) {
                    onError(e);
                }
                return;
            }
            // the replay reads Kafka and writes at the client's pace: a thread of its own while it lasts
            Thread resume = new Thread(() -> {
                try {
                    goLive(catchUp(resumeFrom, liveStart), null);
                } catch (IOException | RuntimeException | Error e) {
                    // an Error too: ended, the stream gives back its place; otherwise its client waits for good
                    onError(e);
                    if (e instanceof Error error) {
                        log.error("SSE stream {} failed to resume a client on {}", name, channel, error);
                    }
                }
            }, "sse-" + name + "-resume");
            resume.setDaemon(true);
            resume.start();
        }

        /** From here on, writes are non-blocking; the container calls {@link #onWritePossible} when they may start. */
        private void goLive(StreamPosition from, byte[] first) throws IOException {
            ServletOutputStream stream = ctx.res().getOutputStream();
            synchronized (this) {
                position = from;
                preamble = first;
                // before a pump may see the stream: written before its listener is set, it would block a writer. The
                // container calls onWritePossible from its own executor, never from here, so the lock is not re-entered
                stream.setWriteListener(this);
                out = stream;
            }
        }

        void schedule() {
            if (scheduled.compareAndSet(false, true)) {
                try {
                    writers.execute(() -> {
                        scheduled.set(false);
                        pump();
                    });
                } catch (RejectedExecutionException e) {
                    // the hub is closing and ends every stream
                }
            }
        }

        void keepAliveIfIdleSince(long nanos) {
            if (lastWriteNanos - nanos <= 0) {
                keepAliveDue.set(true);
                schedule();
            }
        }

        /** Ends the stream after an {@code end} event that says why; the first reason given is the one told. */
        void refuse(Refusal refusal) {
            if (refused.compareAndSet(null, refusal)) {
                schedule();
            }
        }

        /** Ends the stream, after an {@code end} event that says why, once its caller may no longer read. */
        void recheckCaller() {
            try {
                if (done.isDone() || refused.get() != null) {
                    return;
                }
                Refusal refusal;
                try {
                    refusal = caller.refusal().get();
                } catch (RuntimeException e) {
                    // a stream must not go on for a caller that cannot be checked, as no request would
                    refusal = Refusal.unavailable("the caller's token cannot be checked: " + e.getMessage());
                }
                if (refusal != null) {
                    refuse(refusal);
                }
            } finally {
                recheckDue.set(false);
            }
        }

        @Override
        public void onWritePossible() {
            pump();
        }

        /** The connection failed (the container says so, or a write threw): the stream ends. */
        @Override
        public void onError(Throwable failure) {
            log.debug("SSE client on {} went away: {}", channel, failure.toString());
            end();
        }

        /** Writes while the connection takes bytes; ends the stream once its gap is out, or when a write fails. */
        private void pump() {
            boolean finished = false;
            Exception failure = null;
            synchronized (this) {
                if (out == null || done.isDone()) {
                    return;
                }
                try {
                    while (out.isReady()) {
                        if (flushPending) {
                            flushPending = false;
                            out.flush();
                            continue;
                        }
                        if (ending) {
                            finished = true;
                            break;
                        }
                        byte[] next = nextPiece();
                        if (next == null) {
                            break;
                        }
                        out.write(next);
                        flushPending = true;
                        lastWriteNanos = System.nanoTime();
                    }
                } catch (IOException | RuntimeException e) {
                    failure = e;
                }
            }
            // ended outside the lock: completing the request runs Javalin's after-handlers on this thread
            if (failure != null) {
                onError(failure);
            } else if (finished) {
                end();
            }
        }

        /**
         * What goes out next, each delivery after its id; null when there is nothing to write. An idle client's
         * keep-alive is a block of only an id when its position moved past records it does not see: an SSE client
         * keeps that id as the one it resumes from, so a quiet client's resume does not start behind every other
         * tenant's records (up to the resume bound, where it would get a {@code gap} for nothing it missed).
         */
        private byte[] nextPiece() throws IOException {
            // read before the queue: every delivery up to it is in the queue by now
            Map<TopicPartition, Long> handedOutNow = handedOut;
            ByteArrayOutputStream piece = new ByteArrayOutputStream();
            if (preamble != null) {
                piece.write(preamble);
                preamble = null;
            }
            Refusal refusal = refused.get();
            if (refusal != null) {
                write(piece, position, "end", Map.of("error", refusal.error(), "message", refusal.message()));
                ending = true;
                return piece.toByteArray();
            }
            if (overflowed.get()) {
                write(piece, position, "gap", Map.of("reason", "client too slow: events were dropped; "
                        + "reconnect with Last-Event-ID to resume from Kafka"));
                ending = true;
                return piece.toByteArray();
            }
            // what was caught up to before is behind every delivery queued since: the next id may include it
            foldCaughtUp();
            while (piece.size() < MAX_PIECE_BYTES) {
                Delivery d = queue.poll();
                if (d == null) {
                    caughtUpTo = handedOutNow;
                    break;
                }
                queuedBytes.addAndGet(-d.bytes);
                if (d.offset <= position.lastDelivered(d.partition)) {
                    // the client has it already: it resumed with an id from an instance that had read further
                    continue;
                }
                position.advance(d.partition, d.offset);
                write(piece, position, d.frame());
                idBehind = false;
            }
            // cleared whatever was written: any byte keeps the connection alive
            if (keepAliveDue.getAndSet(false) && piece.size() == 0) {
                foldCaughtUp();
                if (idBehind) {
                    write(piece, position, NO_EVENT);
                } else {
                    piece.write(KEEP_ALIVE);
                }
                idBehind = false;
            }
            return piece.size() == 0 ? null : piece.toByteArray();
        }

        private void foldCaughtUp() {
            if (caughtUpTo != null) {
                idBehind |= position.advanceTo(caughtUpTo);
                caughtUpTo = null;
            }
        }

        /** Ends the stream: the request completes and the client's place is freed. */
        void end() {
            done.complete(null);
        }

        /**
         * During a replay, which writes on its own thread: a keep-alive once it has written nothing for a keep-alive
         * interval (waiting for the registry, or for a partition's leader), which also finds a client that has gone.
         * Without it such a client kept its place, thread and consumer until the wait ended, and every reconnect took
         * another place until the tenant's limit refused its streams.
         *
         * @throws UncheckedIOException when the client has gone: the resume ends as on any failed write
         */
        private void keepAlive(OutputStream out) {
            if (System.nanoTime() - lastWriteNanos >= settings.keepAlive().toNanos()) {
                try {
                    out.write(KEEP_ALIVE);
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                lastWriteNanos = System.nanoTime();
            }
        }

        /** Replays (resumeFrom, liveStart] from Kafka; live deliveries queue up meanwhile. Blocking writes. */
        private StreamPosition catchUp(StreamPosition resumeFrom, StreamPosition liveStart) throws IOException {
            Map<TopicPartition, Long> end = liveStart.asMap();
            StreamPosition position = new StreamPosition(end);
            OutputStream out = ctx.res().getOutputStream();
            try (KafkaConsumer<byte[], byte[]> replay = new KafkaConsumer<>(replayConfig(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                List<TopicPartition> behind = new ArrayList<>();
                boolean clipped = false;
                boolean unknown = false;
                // bounded: a broker that does not answer ends this stream, and the client reconnects
                Map<TopicPartition, Long> oldestKept = replay.beginningOffsets(end.keySet(), Duration.ofSeconds(10));
                Map<TopicPartition, Long> logEnd = end.entrySet().stream()
                        .anyMatch(e -> resumeFrom.lastDelivered(e.getKey()) > e.getValue())
                        ? replay.endOffsets(end.keySet(), Duration.ofSeconds(10)) : Map.of();
                for (var e : end.entrySet()) {
                    // -1: the client got nothing of this partition yet (it was empty then): replay it from the start
                    long asked = resumeFrom.lastDelivered(e.getKey());
                    // no further back than the bound, nor than what retention left of the partition
                    long from = Math.max(Math.max(asked, e.getValue() - settings.maxResumeRecords()),
                            oldestKept.get(e.getKey()) - 1);
                    clipped |= from > asked;
                    if (asked > e.getValue() && asked < logEnd.get(e.getKey())) {
                        // the id came from an instance further ahead: this one has not read so far yet
                        position.advance(e.getKey(), asked);
                    } else if (asked > e.getValue()) {
                        // past the log's end: no record has that offset (the topic was recreated, or the id is not
                        // one of this cluster's); trusted, it would hold back every record up to it
                        unknown = true;
                    } else if (from < e.getValue()) {
                        behind.add(e.getKey());
                        position.advance(e.getKey(), from);
                    }
                }
                if (clipped) {
                    write(out, position, "gap", Map.of("reason", "resume_too_old", "message", "this stream resumes "
                            + "at most " + settings.maxResumeRecords() + " records back per partition, and from what "
                            + "Kafka still retains; older events were skipped"));
                    out.flush();
                }
                if (unknown) {
                    write(out, position, "gap", Map.of("reason", "resume_unknown_position", "message", "the "
                            + "Last-Event-ID names offsets past the end of the log; this stream goes on from what it "
                            + "reads now, and events may have been missed"));
                    out.flush();
                }
                replay.assign(behind);
                behind.forEach(tp -> replay.seek(tp, position.lastDelivered(tp) + 1));
                // a caller refused meanwhile gets no more of the replay, and the position stays at what was sent:
                // its end event follows once it goes live
                replay:
                while (!behind.isEmpty() && !done.isDone() && refused.get() == null) {
                    for (ConsumerRecord<byte[], byte[]> r : replay.poll(Duration.ofMillis(200))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (r.offset() > end.get(tp)) {
                            continue;
                        }
                        SseSource.SseMessage m = channel.equals(source.channelOf(r)) ? renderWaiting(r, () -> {
                            keepAlive(out);
                            return running && !done.isDone() && refused.get() == null;
                        }) : null;
                        if (refused.get() != null) {
                            break replay;
                        }
                        position.advance(tp, r.offset());
                        if (m != null && sees(m)) {
                            write(out, position, frame(m));
                            lastWriteNanos = System.nanoTime();
                        }
                    }
                    out.flush();
                    keepAlive(out);
                    // transaction markers and skipped records count too: done when the reader passed the end
                    behind.removeIf(tp -> replay.position(tp) > end.get(tp));
                    behind.forEach(tp -> position.advance(tp, Math.min(replay.position(tp) - 1, end.get(tp))));
                    replay.assign(behind);
                }
            }
            // never back: live deliveries up to a position further ahead are skipped, not sent again. A refused
            // replay stops where it is: its end event's id must name no record it did not send
            if (refused.get() == null) {
                end.keySet().forEach(tp -> position.advance(tp, Math.max(end.get(tp), position.lastDelivered(tp))));
            }
            lastWriteNanos = System.nanoTime();
            return position;
        }
    }
}
