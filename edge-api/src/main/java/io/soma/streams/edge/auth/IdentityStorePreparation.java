package io.soma.streams.edge.auth;

import io.soma.streams.stores.archive.RetryBackoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Brings the identity store to what this process needs (tables, bootstrap admin, demo tenants), in order. Tried once
 * at start; while PostgreSQL does not answer ({@link IdentityStore.IdentityStoreException}) the process starts
 * anyway and the rest is retried in the background with a growing delay, readiness naming what is pending. Any
 * other failure is a configuration or programming error: at start it fails the start.
 */
final class IdentityStorePreparation implements AutoCloseable {
    /** One step of the preparation; its name is what readiness and the log show, so it must not hold a secret. */
    record Step(String name, Runnable run) {
    }

    private static final RetryBackoff BACKOFF = new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    private static final Logger log = LoggerFactory.getLogger(IdentityStorePreparation.class);

    private final List<Step> steps;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "identity-store-preparation");
        t.setDaemon(true);
        return t;
    });
    /** Steps done so far; each is written by the one thread that runs the steps at a time. */
    private volatile int done;
    private volatile String lastFailure;
    private volatile boolean stopped;

    private IdentityStorePreparation(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    /** Runs {@code steps} now; what PostgreSQL did not let finish goes on in the background until closed. */
    static IdentityStorePreparation start(List<Step> steps) {
        IdentityStorePreparation preparation = new IdentityStorePreparation(steps);
        if (!preparation.attempt()) {
            preparation.retryLater(1);
        }
        return preparation;
    }

    /** Null once every step is done, else what is pending and why. */
    String problem() {
        if (stopped) {
            return "identity store preparation stopped at " + steps.get(done).name() + ": " + lastFailure;
        }
        if (done == steps.size()) {
            return null;
        }
        List<String> pending = steps.subList(done, steps.size()).stream().map(Step::name).toList();
        return "pending until PostgreSQL answers: " + String.join(", ", pending) + " (last attempt: " + lastFailure
                + ")";
    }

    /** Null once {@code step} and every step before it are done, else {@link #problem()}. */
    String pendingThrough(Step step) {
        return done > steps.indexOf(step) ? null : problem();
    }

    /** @return true when every step is done; false when PostgreSQL failed one (to be retried) */
    private boolean attempt() {
        while (done < steps.size()) {
            Step step = steps.get(done);
            try {
                step.run().run();
            } catch (IdentityStore.IdentityStoreException e) {
                lastFailure = e.getMessage();
                return false;
            }
            done++;
        }
        log.info("identity store ready: {}", steps.stream().map(Step::name).toList());
        return true;
    }

    private void retryLater(int failedAttempts) {
        if (retries.isShutdown()) {
            return; // the process stops: the attempt failed because it was interrupted
        }
        Duration delay = BACKOFF.delay(failedAttempts);
        log.warn("identity store: {} waits for PostgreSQL, next attempt in {} s: {}", steps.get(done).name(),
                delay.toSeconds(), lastFailure);
        retries.schedule(() -> retry(failedAttempts), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void retry(int failedAttempts) {
        try {
            if (!attempt()) {
                retryLater(failedAttempts + 1);
            }
        } catch (RuntimeException e) {
            // not PostgreSQL's absence: retrying would not help, readiness shows it until someone looks
            lastFailure = e.toString();
            stopped = true;
            log.error("identity store preparation stopped at {}", steps.get(done).name(), e);
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
