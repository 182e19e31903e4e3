package io.soma.streams.edge.health;

import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /health/live}: the process answers. {@code /health/ready}: every dependency is ready. */
public final class HealthHandler {
    private final List<ReadinessCheck> checks;

    public HealthHandler(List<ReadinessCheck> checks) {
        this.checks = List.copyOf(checks);
    }

    public void live(Context ctx) {
        ctx.json(Map.of("status", "live"));
    }

    public void ready(Context ctx) {
        Map<String, String> results = new LinkedHashMap<>();
        boolean ready = true;
        for (ReadinessCheck check : checks) {
            String problem;
            try {
                problem = check.problem();
            } catch (RuntimeException e) {
                problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            results.put(check.name(), problem == null ? "ok" : problem);
            ready &= problem == null;
        }
        ctx.status(ready ? 200 : 503).json(Map.of("status", ready ? "ready" : "not_ready", "checks", results));
    }
}
