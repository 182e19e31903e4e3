package io.soma.streams.edge.forecast;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.stores.query.LocalStores.GroupEntry;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastResult;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.TokenForecaster;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The forecast endpoints, answered from the forecast app's models: {@code POST /v1/forecast}
 * ({@code {tenant, provider, model, window_hours}}) and {@code GET /v1/forecast/{tenant}?window_hours=}. The
 * shape existing clients read, {@code {estimated_tokens, estimated_cost_usd, confidence}}, gains the 80 % interval
 * ({@code lower, upper}), {@code method}, the measured {@code recent_wape}, {@code generated_at},
 * {@code horizon_hours} and the key.
 *
 * <p>A tenant is one group of {@link ForecastApp#FORECASTER_STORE} (wherever it lives): the model of every
 * provider/model it used, so any horizon is forecast here from the models themselves. With several keys selected
 * the answer is their total: tokens, cost and bounds are added (added bounds are at least as wide as the joint
 * interval), confidence is the lowest and {@code recent_wape} the worst; {@code by_model} has each key's own.
 */
public final class ForecastHandlers {
    public static final int MIN_WINDOW_HOURS = 1;
    public static final int MAX_WINDOW_HOURS = 168;

    private final StoreLookups stores;
    private final PriceTable prices;
    private final int defaultWindowHours;

    public ForecastHandlers(StoreLookups stores, PriceTable prices, int defaultWindowHours) {
        this.stores = stores;
        this.prices = prices;
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

    /** What a store entry looks like over HTTP (also between instances): its key and the model's state, base64. */
    public static Map<String, Object> view(GroupEntry<TokenForecaster> entry) {
        ForecastKey key = ForecastKey.fromStoreKey(entry.key());
        return Map.of("tenant", key.tenant(), "provider", key.provider(), "model", key.model(),
                "state", Base64.getEncoder().encodeToString(entry.value().toBytes()));
    }

    private void answer(Context ctx, String tenant, String provider, String model, int windowHours) {
        JsonNode stored = stores.requireGroup(ForecastApp.FORECASTER_STORE, tenant, tenant,
                "no forecast for tenant " + tenant + ": no token usage seen");
        List<Map<String, Object>> selected = new ArrayList<>();
        for (JsonNode m : stored) {
            String p = m.get("provider").asText();
            String name = m.get("model").asText();
            if ((provider == null || provider.equals(p)) && (model == null || model.equals(name))) {
                TokenForecaster forecaster = TokenForecaster.fromBytes(Base64.getDecoder().decode(m.get("state").asText()));
                selected.add(body(tenant, p, name, ForecastResult.of(forecaster, windowHours, prices, p, name)));
            }
        }
        if (selected.isEmpty()) {
            throw ApiException.notFound("no forecast for tenant " + tenant + " with provider " + provider
                    + (model == null ? "" : " and model " + model));
        }
        ctx.json(selected.size() == 1 ? withByModel(selected.get(0), selected) : total(tenant, provider, selected));
    }

    private static Map<String, Object> body(String tenant, String provider, String model, ForecastResult r) {
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

    private static Map<String, Object> total(String tenant, String provider, List<Map<String, Object>> parts) {
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
        out.put("generated_at", parts.stream().map(p -> (String) p.get("generated_at"))
                .max(Comparator.naturalOrder()).orElse(null));
        return withByModel(out, parts);
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
