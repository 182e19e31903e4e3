package io.soma.streams.reliability;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The drill's load: real events of the replay plan (Azure trace, XSTest, LLMPerf), taken evenly across it, given
 * ids of this run, stamped with their send time and produced at a fixed rate by an idempotent producer (acks=all).
 * An event counts as in once the brokers acknowledged it. The load ends with the plan, or earlier when told to
 * ({@link #stopAfter}); a repeating load goes through its events again, under ids of their own, until told to stop,
 * so that on a slow machine no failure is injected after the load has ended.
 */
final class EventLoad implements AutoCloseable {
    private final List<ConversationEvent> events;
    private final double perSecond;
    private final boolean repeat;
    private final KafkaProducer<String, ConversationEvent> producer;
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sent = new AtomicInteger();
    private volatile long stopAtNanos = Long.MAX_VALUE;
    private volatile long beginNanos;
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<String> lastFailure = new AtomicReference<>();
    private final Thread thread;

    /** @param repeat whether the events are sent again, pass after pass, until {@link #stopAfter} */
    EventLoad(String bootstrapServers, SchemaRegistryClient registry, List<ConversationEvent> events, double perSecond,
              boolean repeat) {
        this.events = events;
        this.perSecond = perSecond;
        this.repeat = repeat;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5),
                Topics.CONVERSATION_EVENTS.keySerde().serializer(),
                Topics.CONVERSATION_EVENTS.valueSerde(registry).serializer());
        this.thread = new Thread(this::produce, "drill-load");
    }

    /** {@code count} events spread evenly over the whole plan, so every dataset is in the load. */
    static List<ConversationEvent> fromReplayPlan(Path datasetsDir, String runId, int count) {
        List<ReplayPlan.Scheduled> plan = ReplayPlan.build(datasetsDir, Instant.EPOCH);
        int n = count <= 0 ? plan.size() : Math.min(count, plan.size());
        List<ConversationEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(ReplayPlan.ofRun(runId, plan.get((int) ((long) i * plan.size() / n)).event()));
        }
        return out;
    }

    void start() {
        beginNanos = System.nanoTime();
        thread.start();
    }

    /** Ends the load once it has run for {@code atLeast} since it started (at once if it already has). */
    void stopAfter(Duration atLeast) {
        stopAtNanos = beginNanos + atLeast.toNanos();
    }

    /** Waits for the last send to be acknowledged (or to have failed). */
    void awaitDone() throws InterruptedException {
        thread.join();
        producer.flush();
    }

    /** Events handed to the producer: the plan, fewer if the load was stopped, more if it repeats. */
    int sent() {
        return sent.get();
    }

    Set<String> acked() {
        return Set.copyOf(acked);
    }

    int ackedCount() {
        return acked.size();
    }

    long failed() {
        return failed.get();
    }

    String lastFailure() {
        return lastFailure.get();
    }

    private void produce() {
        for (long i = 0; repeat || i < events.size(); i++) {
            long due = beginNanos + (long) (i * 1e9 / perSecond);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (System.nanoTime() >= stopAtNanos) {
                return;
            }
            ConversationEvent event = inPass(events.get((int) (i % events.size())), i / events.size());
            producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), event.getSessionId(), event),
                    (metadata, error) -> {
                        if (error == null) {
                            acked.add(event.getEventId());
                        } else {
                            failed.incrementAndGet();
                            lastFailure.set(error.toString());
                        }
                    });
            sent.incrementAndGet();
        }
    }

    /** The event as sent now, in pass {@code pass} (from 0) of the load: after the first, its ids carry the pass. */
    private static ConversationEvent inPass(ConversationEvent event, long pass) {
        ConversationEvent.Builder sent = ConversationEvent.newBuilder(event).setTimestamp(Instant.now());
        if (pass > 0) {
            sent.setEventId(event.getEventId() + "-pass" + pass).setSessionId(event.getSessionId() + "-pass" + pass);
        }
        return sent.build();
    }

    @Override
    public void close() {
        producer.close();
    }
}
