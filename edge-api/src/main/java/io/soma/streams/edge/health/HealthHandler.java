package io.soma.streams.edge.health;

import io.javalin.http.Context;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code /health/live}: the process answers and no part of it has failed for good ({@link ReadinessCheck#failedForGood}).
 * {@code /health/ready}: every dependency is ready. The public answer
 * says only which checks fail: a check's reason names hosts and ports, so it is given on the management port only.
 */
public final class HealthHandler {
    private static final String OK = "ok";
    /** How long one round of checks answers the public probe and the metric. */
    private static final Duration DEFAULT_REUSE = Duration.ofSeconds(1);
    /** The entry of the answer that says the process is stopping. */
    static final String PROCESS = "process";
    private final List<ReadinessCheck> checks;
    private final Duration reuse;
    private volatile Checked lastChecked;
    /** Held by the one round of checks that runs at a time. */
    private final ReentrantLock round = new ReentrantLock();
    private volatile boolean stopping;

    public HealthHandler(List<ReadinessCheck> checks) {
        this(checks, DEFAULT_REUSE);
    }

    /** @param reuse how long the results of one round of checks answer the public probe and {@link #isReady} */
    HealthHandler(List<ReadinessCheck> checks, Duration reuse) {
        this.checks = List.copyOf(checks);
        this.reuse = reuse;
    }

    public void live(Context ctx) {
        Map<String, String> failed = new LinkedHashMap<>();
        for (ReadinessCheck check : checks) {
            String why = check.failedForGood();
            if (why != null) {
                failed.put(check.name(), "failing");
            }
        }
        if (failed.isEmpty()) {
            ctx.json(Map.of("status", "live"));
        } else {
            // a part that never works again without a restart: a live probe that fails has the process restarted
            ctx.status(503).json(Map.of("status", "failed", "checks", failed));
        }
    }

    /**
     * From now on the process is not ready, whatever its checks say: it is stopping, and the load balancer should
     * send it no more requests while those it has are answered.
     */
    public void stopping() {
        stopping = true;
    }

    /**
     * Each check as {@code ok} or {@code failing}. The route is public and the checks ask Redis, PostgreSQL and Kafka
     * over the network, so one round answers every request within {@code reuse}: a flood of probes costs one round a
     * second, not one each.
     */
    public void ready(Context ctx) {
        Map<String, String> results = new LinkedHashMap<>(recentResults());
        // a check's reason names hosts; that the process is stopping names none
        results.replaceAll((check, result) -> result.equals(OK) || check.equals(PROCESS) ? result : "failing");
        answer(ctx, results);
    }

    /** Each check as {@code ok} or why it fails, checked afresh (the management port only). */
    public void readyInDetail(Context ctx) {
        answer(ctx, withStopping(results()));
    }

    /** True while every check passes: the readiness answer as a metric ({@code soma_ready}), as the probe has it. */
    public boolean isReady() {
        return recentResults().values().stream().allMatch(OK::equals);
    }

    /** The last round's results, and whether the process is stopping. */
    private Map<String, String> recentResults() {
        return withStopping(lastRound());
    }

    /**
     * The last round's results while they are fresh. One round runs at a time: while it does, callers get the
     * round before it (a round with Kafka or PostgreSQL away takes seconds, and every probe starting its own would
     * hold a server thread for as long), and only the first round's callers wait for it.
     */
    private Map<String, String> lastRound() {
        Checked last = lastChecked;
        if (fresh(last)) {
            return last.results();
        }
        if (last != null && !round.tryLock()) {
            return last.results();
        }
        if (last == null) {
            round.lock();
        }
        try {
            last = lastChecked;
            if (fresh(last)) {
                return last.results();
            }
            long now = System.nanoTime();
            Map<String, String> results = Collections.unmodifiableMap(results());
            lastChecked = new Checked(results, now);
            return results;
        } finally {
            round.unlock();
        }
    }

    private boolean fresh(Checked checked) {
        return checked != null && System.nanoTime() - checked.checkedAtNanos() < reuse.toNanos();
    }

    private Map<String, String> withStopping(Map<String, String> results) {
        if (!stopping) {
            return results;
        }
        Map<String, String> stopped = new LinkedHashMap<>(results);
        stopped.put(PROCESS, "stopping");
        return stopped;
    }

    private record Checked(Map<String, String> results, long checkedAtNanos) {
    }

    private Map<String, String> results() {
        Map<String, String> results = new LinkedHashMap<>();
        for (ReadinessCheck check : checks) {
            String problem;
            try {
                problem = check.problem();
            } catch (RuntimeException e) {
                problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            results.put(check.name(), problem == null ? OK : problem);
        }
        return results;
    }

    private static void answer(Context ctx, Map<String, String> results) {
        boolean ready = results.values().stream().allMatch(OK::equals);
        ctx.status(ready ? 200 : 503).json(Map.of("status", ready ? "ready" : "not_ready", "checks", results));
    }
}
