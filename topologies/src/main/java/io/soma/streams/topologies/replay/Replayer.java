package io.soma.streams.topologies.replay;

import io.soma.streams.avro.ConversationEvent;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends a {@link ReplayPlan} into {@code conversation.events}, {@code speed} times faster than the trace's
 * own clock, logging progress every few seconds. Runs on its own thread until done or closed.
 */
public final class Replayer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Replayer.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final Producer<String, ConversationEvent> producer;
    private final String topic;
    private final List<ReplayPlan.Scheduled> plan;
    private final double speed;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private volatile boolean running = true;

    public Replayer(Producer<String, ConversationEvent> producer, String topic, List<ReplayPlan.Scheduled> plan,
                    double speed) {
        this.producer = producer;
        this.topic = topic;
        this.plan = plan;
        this.speed = speed;
        this.thread = new Thread(this::run, "replayer");
        thread.setDaemon(true);
    }

    public Replayer start() {
        thread.start();
        return this;
    }

    public long sent() {
        return sent.get();
    }

    public int total() {
        return plan.size();
    }

    /** Waits until every event was sent (and acknowledged) or the timeout passes; true when done. */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
        return !thread.isAlive() && failure.get() == null && sent.get() == plan.size();
    }

    private void run() {
        long started = System.nanoTime();
        long nextProgress = started + PROGRESS_EVERY.toNanos();
        log.info("replaying {} events from the real datasets at {}x", plan.size(), speed);
        try {
            for (ReplayPlan.Scheduled s : plan) {
                if (!running) {
                    break;
                }
                long due = started + (long) (s.at().toNanos() / speed);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                producer.send(new ProducerRecord<>(topic, s.event().getSessionId(), s.event()), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        sent.incrementAndGet();
                    }
                });
                if (System.nanoTime() >= nextProgress) {
                    nextProgress += PROGRESS_EVERY.toNanos();
                    log.info("replay: {}/{} events sent ({}%), trace clock at {}", sent.get(), plan.size(),
                            sent.get() * 100 / plan.size(), s.at());
                }
            }
            producer.flush();
            Exception e = failure.get();
            if (e != null) {
                log.error("replay: {} of {} events could not be sent: {}", plan.size() - sent.get(), plan.size(),
                        e.getMessage());
            } else {
                log.info("replay done: {} events in {} s", sent.get(), (System.nanoTime() - started) / 1_000_000_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!running) {
                // close() interrupted a send or the flush (Kafka's InterruptException): a stop, not a failure
                log.info("replay closed after {} of {} events", sent.get(), plan.size());
                return;
            }
            failure.compareAndSet(null, e);
            log.error("replay stopped after {} events", sent.get(), e);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
