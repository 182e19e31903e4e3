package io.soma.streams.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * A fixed-rate (open-loop) load driver: request {@code i} is due at {@code start + i / rate}, is sent at that moment
 * whatever the earlier ones are doing, and is timed from that moment, not from when it was sent. A server or a driver
 * falling behind is so charged to every request it delays (no coordinated omission), which a closed-loop tool that
 * waits for an answer before the next request hides. Latencies go to an HdrHistogram.
 */
final class OpenLoop {
    private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(5);

    /**
     * What one rate gave: every request's time from its due moment to its answer, the rate answers came at (requests
     * over first due moment to last answer: below the offered rate when the server cannot keep up), the requests
     * that failed, and how late the driver itself sent its latest request.
     */
    record Result(int rate, int requests, Histogram micros, double answeredPerSecond, long failed, long maxLateNanos,
                  String load) {
        /** {@code offered/s | requests | answered/s | p50 | p90 | p99 | p99.9 | max} (ms). */
        String latencies() {
            return String.format("%,d | %,d | %,.0f | %.2f | %.2f | %.2f | %.2f | %.2f", rate, requests,
                    answeredPerSecond, ms(micros.getValueAtPercentile(50)), ms(micros.getValueAtPercentile(90)),
                    ms(micros.getValueAtPercentile(99)), ms(micros.getValueAtPercentile(99.9)),
                    ms(micros.getMaxValue()));
        }

        double maxLateMs() {
            return maxLateNanos / 1e6;
        }

        private static double ms(long micros) {
            return micros / 1_000.0;
        }
    }

    private OpenLoop() {
    }

    /**
     * Offers {@code requests} at {@code rate} per second and waits for every answer (at most 5 minutes).
     * {@code send.apply(i)} starts request {@code i} without blocking the driver; it failed when its stage completes
     * exceptionally.
     */
    static Result drive(int rate, int requests, IntFunction<? extends CompletionStage<?>> send)
            throws InterruptedException {
        String before = MachineLoad.oneMinute();
        Histogram micros = new ConcurrentHistogram(HIGHEST_MICROS, 3);
        AtomicLong failed = new AtomicLong();
        AtomicLong lastAnswer = new AtomicLong();
        CountDownLatch answered = new CountDownLatch(requests);
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long maxLate = 0;
        for (int i = 0; i < requests; i++) {
            long due = start + i * intervalNanos;
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            maxLate = Math.max(maxLate, System.nanoTime() - due);
            send.apply(i).whenComplete((answer, error) -> {
                long now = System.nanoTime();
                micros.recordValue(Math.min(HIGHEST_MICROS, (now - due) / 1_000));
                if (error != null) {
                    failed.incrementAndGet();
                }
                lastAnswer.accumulateAndGet(now, Math::max);
                answered.countDown();
            });
        }
        if (!answered.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException(answered.getCount() + " requests unanswered after 5 minutes");
        }
        return new Result(rate, requests, micros, requests / Throughput.seconds(lastAnswer.get() - start),
                failed.get(), maxLate, before + " → " + MachineLoad.oneMinute());
    }
}
