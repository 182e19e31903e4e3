package io.soma.streams.topologies.slm;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Alert thresholds: global defaults (the SLM squad's SLO: p95 end-to-end latency above 1000 ms warns, above
 * 1200 ms breaches; an error rate above 2 % breaches), overridable per model or per model@provider.
 *
 * <p>Configuration keys (values in ms for latency, a fraction for error rate):
 * <pre>
 * slm.alerts.latency-p95-warn-ms=1000
 * slm.alerts.latency-p95-breach-ms=1200
 * slm.alerts.error-rate-breach=0.02
 * slm.alerts.override.llama-2-70b-chat.latency-p95-warn-ms=2500
 * slm.alerts.override.llama-2-70b-chat@groq.error-rate-breach=0.01
 * </pre>
 * Each limit resolves on its own: model@provider, else model, else the global value.
 */
public final class AlertThresholds {
    public static final String PREFIX = "slm.alerts.";
    private static final String OVERRIDE = PREFIX + "override.";

    /** The limits that apply to one model@provider. */
    public record Limits(double latencyP95WarnMs, double latencyP95BreachMs, double errorRateBreach) {
        public Limits {
            if (!(latencyP95WarnMs > 0 && latencyP95WarnMs <= latencyP95BreachMs)) {
                throw new IllegalArgumentException("need 0 < latency p95 warn (" + latencyP95WarnMs
                        + " ms) <= breach (" + latencyP95BreachMs + " ms)");
            }
            if (!(errorRateBreach >= 0 && errorRateBreach < 1)) {
                throw new IllegalArgumentException("error-rate breach must be a fraction in [0, 1), got " + errorRateBreach);
            }
        }
    }

    private enum Limit {
        LATENCY_P95_WARN_MS("latency-p95-warn-ms", 1000),
        LATENCY_P95_BREACH_MS("latency-p95-breach-ms", 1200),
        ERROR_RATE_BREACH("error-rate-breach", 0.02);

        final String key;
        final double defaultValue;

        Limit(String key, double defaultValue) {
            this.key = key;
            this.defaultValue = defaultValue;
        }
    }

    /** Scope ("" for global, a model, or model@provider) → the limits configured there. */
    private final Map<String, Map<Limit, Double>> configured;

    private AlertThresholds(Map<String, Map<Limit, Double>> configured) {
        this.configured = configured;
        // resolve every configured scope now, so that a contradictory override fails at start, not at an alert
        configured.keySet().forEach(this::limitsFor);
    }

    /** The SLO defaults everywhere. */
    public static AlertThresholds defaults() {
        return fromConfig(Map.of());
    }

    /** Reads the {@code slm.alerts.*} keys of {@code config}, ignoring all others; fails on a key it does not know. */
    public static AlertThresholds fromConfig(Map<String, String> config) {
        Map<String, Map<Limit, Double>> configured = new HashMap<>();
        config.forEach((key, value) -> {
            if (!key.startsWith(PREFIX)) {
                return;
            }
            Limit limit = limitNamedAtEndOf(key);
            String scope = key.startsWith(OVERRIDE)
                    ? key.substring(OVERRIDE.length(), key.length() - limit.key.length() - 1)
                    : scopeOfGlobal(key, limit);
            double parsed;
            try {
                parsed = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be a number, got '" + value + "'", e);
            }
            configured.computeIfAbsent(scope, s -> new EnumMap<>(Limit.class)).put(limit, parsed);
        });
        return new AlertThresholds(configured);
    }

    private static Limit limitNamedAtEndOf(String key) {
        for (Limit limit : Limit.values()) {
            if (key.endsWith("." + limit.key)) {
                return limit;
            }
        }
        throw new IllegalArgumentException("unknown alert threshold setting " + key);
    }

    private static String scopeOfGlobal(String key, Limit limit) {
        if (!key.equals(PREFIX + limit.key)) {
            throw new IllegalArgumentException("unknown alert threshold setting " + key
                    + " (per-model limits go under " + OVERRIDE + "<model or model@provider>.)");
        }
        return "";
    }

    public Limits limitsFor(String model, String provider) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(provider, "provider");
        return limitsFor(SlmRequest.key(model, provider));
    }

    private Limits limitsFor(String key) {
        int at = key.lastIndexOf('@');
        String model = at < 0 ? key : key.substring(0, at);
        return new Limits(value(Limit.LATENCY_P95_WARN_MS, key, model), value(Limit.LATENCY_P95_BREACH_MS, key, model),
                value(Limit.ERROR_RATE_BREACH, key, model));
    }

    private double value(Limit limit, String key, String model) {
        for (String scope : new String[]{key, model, ""}) {
            Double v = configured.getOrDefault(scope, Map.of()).get(limit);
            if (v != null) {
                return v;
            }
        }
        return limit.defaultValue;
    }
}
