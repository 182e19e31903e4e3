package io.soma.streams.edge.health;

import io.javalin.http.Context;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /health/live}: the process answers. {@code /health/ready}: every dependency is ready. The public answer
 * says only which checks fail: a check's reason names hosts and ports, so it is given on the management port only.
 */
public final class HealthHandler {
    private static final String OK = "ok";
    private static final Duration READY_METRIC_REUSE = Duration.ofSeconds(1);
    private final List<ReadinessCheck> checks;
    private volatile Readiness lastReadiness;

    public HealthHandler(List<ReadinessCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    public void live(Context ctx) {
        ctx.json(Map.of("status", "live"));
    }

    /** Each check as {@code ok} or {@code failing}. */
    public void ready(Context ctx) {
        Map<String, String> results = results();
        results.replaceAll((check, result) -> result.equals(OK) ? OK : "failing");
        answer(ctx, results);
    }

    /** Each check as {@code ok} or why it fails. */
    public void readyInDetail(Context ctx) {
        answer(ctx, results());
    }

    /**
     * True while every check passes: the readiness answer as a metric ({@code soma_ready}). The checks ask Redis,
     * PostgreSQL and Kafka over the network, so an answer is reused for {@link #READY_METRIC_REUSE}: several
     * scrapers (or a scrape retried) within it cost one round of checks. The probe routes always check afresh.
     */
    public boolean isReady() {
        Readiness last = lastReadiness;
        long now = System.nanoTime();
        if (last != null && now - last.checkedAtNanos() < READY_METRIC_REUSE.toNanos()) {
            return last.ready();
        }
        boolean ready = results().values().stream().allMatch(OK::equals);
        lastReadiness = new Readiness(ready, now);
        return ready;
    }

    private record Readiness(boolean ready, long checkedAtNanos) {
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
