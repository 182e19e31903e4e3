package io.soma.streams.edge.kafka;

import io.soma.streams.edge.http.ApiException;
import io.soma.streams.stores.kafka.TopicFollower;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Request/reply over Kafka: a caller registers the id it expects, publishes its request, and is completed
 * when a committed record carrying that id arrives on the reply topic. Every instance reads every partition
 * of the reply topic from where it started, so the answer reaches the instance that asked.
 */
public final class ReplyWaiter<V> implements AutoCloseable {
    private final Function<V, String> correlationId;
    private final Map<String, CompletableFuture<V>> waiting = new ConcurrentHashMap<>();
    private final TopicFollower<V> follower;
    /** Runs {@link Late} handlers: they may block (a send while Kafka is away), which no shared pool should. */
    private final ExecutorService lateReplies;

    public ReplyWaiter(String bootstrapServers, String topic, Deserializer<V> values, Function<V, String> correlationId) {
        this.correlationId = correlationId;
        this.lateReplies = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "late-replies-" + topic);
            t.setDaemon(true);
            return t;
        });
        this.follower = new TopicFollower<>(bootstrapServers, topic, values, TopicFollower.Start.END, this::complete,
                () -> { });
    }

    /**
     * What to do with a reply that comes after its caller stopped waiting (a 504, or Kafka not acknowledging the
     * request in time while the producer still retries it): {@code handler} gets it if it comes within
     * {@code followFor}. Run on a thread of the waiter's own, so a slow handler delays no other reply.
     */
    public record Late<V>(Duration followFor, Consumer<V> handler) {
    }

    /**
     * Publishes {@code request} and waits for the reply carrying {@code id}, {@code timeout} in all. Kafka not
     * acknowledging the request in time: 503 ({@link KafkaPublish}, with {@code ids} in its details); acknowledged
     * but no reply in time: {@code whenLate}'s error (the request is in Kafka and is still processed once).
     */
    public V request(Producer<String, SpecificRecord> producer, ProducerRecord<String, SpecificRecord> request,
                     String id, Map<String, Object> ids, Duration timeout, Supplier<ApiException> whenLate) {
        return request(producer, request, id, ids, timeout, whenLate, null);
    }

    /** As above; a reply that comes after the caller's error goes to {@code late} (none: null). */
    public V request(Producer<String, SpecificRecord> producer, ProducerRecord<String, SpecificRecord> request,
                     String id, Map<String, Object> ids, Duration timeout, Supplier<ApiException> whenLate,
                     Late<V> late) {
        CompletableFuture<V> reply = expect(id);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean followed = false;
        try {
            KafkaPublish.acknowledged(producer, request, timeout, "the request " + id, ids);
            // what the acknowledgement took is part of the caller's wait, not added to it
            return reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (KafkaPublish.NotTaken notTaken) {
            followed = notTaken.mayStillArrive() && follow(id, reply, late);
            throw notTaken;
        } catch (TimeoutException e) {
            followed = follow(id, reply, late);
            throw whenLate.get();
        } catch (ExecutionException e) {
            throw ApiException.notReady("no reply to " + id + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.notReady("interrupted");
        } finally {
            if (!followed) {
                forget(id);
            }
        }
    }

    /** Keeps waiting for {@code id} on {@code late}'s behalf; false when there is no {@code late}. */
    private boolean follow(String id, CompletableFuture<V> reply, Late<V> late) {
        if (late == null) {
            return false;
        }
        reply.orTimeout(late.followFor().toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync((value, error) -> {
            waiting.remove(id, reply);
            if (value != null) {
                late.handler().accept(value);
            }
        }, lateReplies);
        return true;
    }

    /** Register before publishing the request; the future completes with the reply. */
    public CompletableFuture<V> expect(String id) {
        return waiting.computeIfAbsent(id, k -> new CompletableFuture<>());
    }

    /** Stop waiting for {@code id} (the caller timed out). */
    public void forget(String id) {
        waiting.remove(id);
    }

    private void complete(ConsumerRecord<String, V> r) {
        String id = r.value() == null ? null : correlationId.apply(r.value());
        // records no one asked for (e.g. expiries, which no command caused) carry no id
        CompletableFuture<V> f = id == null ? null : waiting.remove(id);
        if (f != null) {
            f.complete(r.value());
        }
    }

    @Override
    public void close() {
        follower.close();
        lateReplies.shutdownNow();
    }
}
