package io.soma.streams.edge.forecast;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.stores.query.LocalStores.GroupEntry;
import io.soma.streams.topologies.forecast.CapsuleKey;
import io.soma.streams.topologies.forecast.CapsuleUsage;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastResult;
import io.soma.streams.topologies.forecast.ForecastTable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The forecast endpoints, answered from the forecast app's models: {@code POST /v1/forecast}
 * ({@code {tenant, provider, model, window_hours}}) and {@code GET /v1/forecast/{tenant}?window_hours=}. The
 * shape existing clients read, {@code {estimated_tokens, estimated_cost_usd, confidence}}, gains the 80 % interval
 * ({@code lower, upper}), {@code method}, the measured {@code recent_wape}, {@code generated_at},
 * {@code horizon_hours} and the key.
 *
 * <p>A tenant is one group of {@link ForecastApp#FORECASTER_STORE} (wherever it lives): for every provider/model it
 * used, the forecasts of every horizon its model makes after the key's last closed window, built where the model
 * is ({@link ForecastTables}; models do not travel between instances). With several keys selected
 * the answer is their total: tokens, cost and bounds are added (added bounds are at least as wide as the joint
 * interval), confidence is the lowest and {@code recent_wape} the worst; {@code by_model} has each key's own.
 *
 * <p>{@code GET /v1/forecast/{tenant}/capsules/{capsule}} answers a tenant's usage of one capsule from
 * {@link ForecastApp#CAPSULE_USAGE_STORE} (grouped by tenant too): tokens, requests and priced cost of the last
 * 24 hours and 7 days as of the capsule's newest closed window, and the forecast of the app's horizon added over
 * the capsule's models the same way.
 */
public final class ForecastHandlers {
    public static final int MIN_WINDOW_HOURS = 1;
    public static final int MAX_WINDOW_HOURS = ForecastTable.MAX_HOURS;

    private final StoreLookups stores;
    private final int defaultWindowHours;

    public ForecastHandlers(StoreLookups stores, int defaultWindowHours) {
        this.stores = stores;
        this.defaultWindowHours = defaultWindowHours;
    }

    /** {@code POST /v1/forecast}. */
    public void forecast(Context ctx) {
        JsonNode body = JsonBody.object(ctx);
        String tenant = TenantGuard.tenant(ctx);
        JsonNode hours = body.get("window_hours");
        int windowHours = hours == null || hours.isNull() ? defaultWindowHours
                : windowHours(hours.isIntegralNumber() && hours.canConvertToInt() ? hours.asInt() : null, hours.toString());
        answer(ctx, tenant, JsonBody.text(body, "provider"), JsonBody.text(body, "model"), windowHours);
    }

    /** {@code GET /v1/forecast/{tenant}?window_hours=}. */
    public void tenantForecast(Context ctx) {
        String raw = ctx.queryParam("window_hours");
        int windowHours = raw == null || raw.isBlank() ? defaultWindowHours : windowHours(parseInt(raw), raw);
        answer(ctx, TenantGuard.tenant(ctx), ctx.queryParam("provider"), ctx.queryParam("model"), windowHours);
    }

    /** {@code GET /v1/forecast/{tenant}/capsules/{capsule}}. */
    public void capsuleSummary(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        String capsule = ctx.pathParam("capsule");
        ctx.json(capsuleSummary(tenant, capsule).orElseThrow(
                () -> ApiException.notFound("no token usage of capsule " + capsule + " by tenant " + tenant)));
    }

    /**
     * {@code tenant}'s usage of {@code capsule}: tokens, requests and cost over the last 24 hours and 7 days, and the
     * forecast; empty when the tenant has not used it.
     */
    public Optional<Map<String, Object>> capsuleSummary(String tenant, String capsule) {
        // the one entry: a tenant's events may name any number of capsules, each with an entry of its own
        return stores.groupEntry(ForecastApp.CAPSULE_USAGE_STORE, tenant, capsule, tenant).map(stored -> {
            List<Map<String, Object>> models = new ArrayList<>();
            stored.get("forecasts").forEach(f -> models.add(body(tenant, f.get("provider").asText(),
                    f.get("model").asText(), storedForecast(f))));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("tenant", tenant);
            out.put("capsule", capsule);
            out.put("as_of", stored.get("as_of").asText());
            out.put("last_24h", stored.get("last_24h"));
            out.put("last_7d", stored.get("last_7d"));
            out.put("forecast", combined(tenant, null, models));
            return out;
        });
    }

    /**
     * What a capsule's stored usage looks like over HTTP (also between instances): the totals of the last 24 hours
     * and 7 days, computed where the state is, and each model's forecast unrounded.
     */
    public static Map<String, Object> capsuleView(GroupEntry<CapsuleUsage> entry) {
        CapsuleUsage usage = entry.value();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("capsule", CapsuleKey.capsuleOfSummaryKey(entry.key()));
        out.put("as_of", Instant.ofEpochMilli(usage.asOf().orElseThrow()).toString());
        out.put("last_24h", totals(usage.last(Duration.ofHours(24))));
        out.put("last_7d", totals(usage.last(CapsuleUsage.RETAINED)));
        out.put("forecasts", usage.forecasts().stream().map(f -> {
            ForecastResult r = f.forecast();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("provider", f.provider());
            m.put("model", f.model());
            m.put("generated_at", r.generatedAt().toString());
            m.put("horizon_hours", r.horizonHours());
            m.put("estimated", List.of(r.estimatedTokens(), r.lower(), r.upper(), r.estimatedCostUsd()));
            m.put("confidence", r.confidence());
            m.put("method", r.method());
            m.put("recent_wape", r.recentWape().isPresent() ? r.recentWape().getAsDouble() : null);
            return m;
        }).toList());
        return out;
    }

    private static Map<String, Object> totals(CapsuleUsage.Totals t) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("prompt_tokens", t.promptTokens());
        out.put("completion_tokens", t.completionTokens());
        out.put("total_tokens", t.totalTokens());
        out.put("requests", t.requests());
        out.put("cost_usd", t.costUsd());
        return out;
    }

    /** A model's forecast as {@link #capsuleView} sent it. */
    private static ForecastResult storedForecast(JsonNode f) {
        JsonNode e = f.get("estimated");
        JsonNode wape = f.get("recent_wape");
        return new ForecastResult(Instant.parse(f.get("generated_at").asText()), f.get("horizon_hours").asInt(),
                e.get(0).asDouble(), e.get(1).asDouble(), e.get(2).asDouble(), e.get(3).asDouble(),
                f.get("confidence").asDouble(), f.get("method").asText(),
                wape == null || wape.isNull() ? OptionalDouble.empty() : OptionalDouble.of(wape.asDouble()));
    }

    /**
     * What a key's table looks like over HTTP (also between instances): its key, the fields every horizon shares,
     * and {@code by_hours}: per horizon from 1 hour, {@code [estimated_tokens, lower, upper, estimated_cost_usd]}
     * unrounded (a double survives JSON exactly, so the answer is the one the model's instance computed).
     */
    static Map<String, Object> view(ForecastKey key, ForecastTable table) {
        ForecastResult any = table.forHours(1);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", key.tenant());
        out.put("provider", key.provider());
        out.put("model", key.model());
        out.put("generated_at", any.generatedAt().toString());
        out.put("confidence", any.confidence());
        out.put("method", any.method());
        out.put("recent_wape", any.recentWape().isPresent() ? any.recentWape().getAsDouble() : null);
        out.put("by_hours", table.byHours().stream()
                .map(r -> List.of(r.estimatedTokens(), r.lower(), r.upper(), r.estimatedCostUsd())).toList());
        return out;
    }

    /** One key's forecast for {@code hours} from its table as {@link #view} sent it. */
    private static ForecastResult fromView(JsonNode entry, int hours) {
        JsonNode h = entry.get("by_hours").get(hours - 1);
        JsonNode wape = entry.get("recent_wape");
        return new ForecastResult(Instant.parse(entry.get("generated_at").asText()), hours, h.get(0).asDouble(),
                h.get(1).asDouble(), h.get(2).asDouble(), h.get(3).asDouble(), entry.get("confidence").asDouble(),
                entry.get("method").asText(),
                wape == null || wape.isNull() ? OptionalDouble.empty() : OptionalDouble.of(wape.asDouble()));
    }

    private void answer(Context ctx, String tenant, String provider, String model, int windowHours) {
        JsonNode tables = stores.requireGroup(ForecastApp.FORECASTER_STORE, tenant, tenant,
                "no forecast for tenant " + tenant + ": no token usage seen");
        List<Map<String, Object>> selected = new ArrayList<>();
        for (JsonNode m : tables) {
            String p = m.get("provider").asText();
            String name = m.get("model").asText();
            if ((provider == null || provider.equals(p)) && (model == null || model.equals(name))) {
                selected.add(body(tenant, p, name, fromView(m, windowHours)));
            }
        }
        if (selected.isEmpty()) {
            throw ApiException.notFound("no forecast for tenant " + tenant + " with provider " + provider
                    + (model == null ? "" : " and model " + model));
        }
        ctx.json(combined(tenant, provider, selected));
    }

    static Map<String, Object> body(String tenant, String provider, String model, ForecastResult r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", tenant);
        out.put("provider", provider);
        out.put("model", model);
        out.put("horizon_hours", r.horizonHours());
        out.put("window_hours", r.horizonHours());
        out.put("estimated_tokens", Math.round(r.estimatedTokens()));
        out.put("estimated_cost_usd", r.estimatedCostUsd());
        out.put("confidence", r.confidence());
        out.put("lower", Math.round(r.lower()));
        out.put("upper", Math.round(r.upper()));
        out.put("method", r.method());
        out.put("recent_wape", r.recentWape().isPresent() ? r.recentWape().getAsDouble() : null);
        out.put("generated_at", r.generatedAt().toString());
        return out;
    }

    /** One key's forecast, or the total of several, with each key's own under {@code by_model}. */
    static Map<String, Object> combined(String tenant, String provider, List<Map<String, Object>> parts) {
        // one part is its own newest: never stale
        return parts.size() == 1 ? withByModel(parts.get(0), List.of(withStale(parts.get(0), false)))
                : total(tenant, provider, parts);
    }

    /** Whether the part's forecast goes on past {@code instant}. */
    private static boolean reachesPast(Map<String, Object> part, Instant instant) {
        return Instant.parse((String) part.get("generated_at")).plus(Duration.ofHours((int) part.get("horizon_hours")))
                .isAfter(instant);
    }

    private static Map<String, Object> withStale(Map<String, Object> part, boolean stale) {
        Map<String, Object> out = new LinkedHashMap<>(part);
        out.put("stale", stale);
        return out;
    }

    /**
     * The sum of the parts whose forecast reaches past the start of the newest part's: a model the tenant stopped
     * using keeps the forecast made at its last window, for hours long gone, which would count its old level again.
     * Such a part stays in {@code by_model}, marked {@code stale}.
     */
    private static Map<String, Object> total(String tenant, String provider, List<Map<String, Object>> all) {
        Instant newest = all.stream().map(p -> Instant.parse((String) p.get("generated_at")))
                .max(Comparator.naturalOrder()).orElseThrow();
        List<Map<String, Object>> marked = all.stream().map(p -> withStale(p, !reachesPast(p, newest))).toList();
        List<Map<String, Object>> parts = marked.stream().filter(p -> !(boolean) p.get("stale")).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", tenant);
        out.put("provider", provider);
        out.put("model", null);
        out.put("horizon_hours", parts.get(0).get("horizon_hours"));
        out.put("window_hours", parts.get(0).get("window_hours"));
        out.put("estimated_tokens", parts.stream().mapToLong(p -> (long) p.get("estimated_tokens")).sum());
        out.put("estimated_cost_usd", parts.stream().mapToDouble(p -> (double) p.get("estimated_cost_usd")).sum());
        out.put("confidence", parts.stream().mapToDouble(p -> (double) p.get("confidence")).min().orElse(0));
        out.put("lower", parts.stream().mapToLong(p -> (long) p.get("lower")).sum());
        out.put("upper", parts.stream().mapToLong(p -> (long) p.get("upper")).sum());
        out.put("method", parts.stream().map(p -> (String) p.get("method")).distinct().sorted()
                .collect(Collectors.joining(",")));
        OptionalDouble worst = parts.stream().filter(p -> p.get("recent_wape") != null)
                .mapToDouble(p -> (double) p.get("recent_wape")).max();
        out.put("recent_wape", worst.isPresent() ? worst.getAsDouble() : null);
        out.put("generated_at", newest.toString());
        return withByModel(out, marked);
    }

    private static Map<String, Object> withByModel(Map<String, Object> answer, List<Map<String, Object>> parts) {
        Map<String, Object> out = new LinkedHashMap<>(answer);
        out.put("by_model", parts);
        return out;
    }

    private static int windowHours(Integer value, String raw) {
        if (value == null || value < MIN_WINDOW_HOURS || value > MAX_WINDOW_HOURS) {
            throw ApiException.unprocessable("window_hours must be a whole number of hours from " + MIN_WINDOW_HOURS
                    + " to " + MAX_WINDOW_HOURS + ", got " + raw,
                    Map.of("field", "window_hours", "min", MIN_WINDOW_HOURS, "max", MAX_WINDOW_HOURS));
        }
        return value;
    }

    private static Integer parseInt(String raw) {
        try {
            return Integer.valueOf(raw.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
