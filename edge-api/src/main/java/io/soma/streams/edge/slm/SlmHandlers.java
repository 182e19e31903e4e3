package io.soma.streams.edge.slm;

import io.javalin.http.Context;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.avro.SlmAlert;
import io.soma.streams.avro.SlmMetricsWindow;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.sse.SseSource;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.query.LocalStores.WindowedValue;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.slm.SlmRequest;
import io.soma.streams.topologies.slm.SlmWindowAggregate;
import io.soma.streams.topologies.slm.SlmWindows;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/slm/metrics?model=&provider=&from=&to=&window=}: the closed and open windows of one
 * model@provider from the SLM app's window stores, wherever the key lives; and {@code GET /v1/slm/alerts/stream}:
 * {@code slm.alerts} as server-sent events, all of them or one model@provider's ({@code ?model=&provider=}). A tenant
 * sees the models it has called (a model's name can be another tenant's own, e.g. a fine-tuned model), a platform
 * operator every model ({@link TenantGuard#poolReader}); a model the caller may not see answers 404, as one nobody
 * called.
 */
public final class SlmHandlers {
    /** The SSE event name of an alert. */
    public static final String ALERT_EVENT = "slm.alert";
    private static final String ALL = "all";
    private static final Duration DEFAULT_RANGE = Duration.ofHours(1);
    private static final Map<String, String> STORE_OF_WINDOW = Map.of("1m", SlmApp.MINUTE_WINDOWS, "5m", SlmApp.HOPPING_WINDOWS);

    private final StoreLookups stores;
    private final SseHub allAlerts;
    private final SseHub alertsByModel;
    private final Duration maxRange;
    private final Clock clock;

    public SlmHandlers(StoreLookups stores, SseHub allAlerts, SseHub alertsByModel, Duration maxRange, Clock clock) {
        this.stores = stores;
        this.allAlerts = allAlerts;
        this.alertsByModel = alertsByModel;
        this.maxRange = maxRange;
        this.clock = clock;
    }

    public void metrics(Context ctx) {
        String model = required(ctx, "model");
        String provider = required(ctx, "provider");
        String window = ctx.queryParam("window") == null ? "1m" : ctx.queryParam("window");
        String store = STORE_OF_WINDOW.get(window);
        if (store == null) {
            throw ApiException.unprocessable("window must be 1m (tumbling) or 5m (hopping view)", Map.of("window", window));
        }
        Instant to = instant(ctx, "to", clock.instant());
        Instant from = instant(ctx, "from", to.minus(DEFAULT_RANGE));
        if (!from.isBefore(to)) {
            throw ApiException.unprocessable("from must be before to",
                    Map.of("from", from.toString(), "to", to.toString()));
        }
        if (Duration.between(from, to).compareTo(maxRange) > 0) {
            throw ApiException.unprocessable("the range may span at most " + maxRange,
                    Map.of("from", from.toString(), "to", to.toString(), "max_range", maxRange.toString()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model);
        out.put("provider", provider);
        out.put("window", window);
        out.put("from", from.toString());
        out.put("to", to.toString());
        String key = SlmRequest.key(model, provider);
        out.put("windows", stores.requireWindows(store, key, from, to, TenantGuard.poolReader(ctx), notShown(key)));
        ctx.json(out);
    }

    /** Validates the query (400 as JSON), then turns the request into the SSE stream. */
    public void openAlertStream(Context ctx) throws Exception {
        String model = ctx.queryParam("model");
        String provider = ctx.queryParam("provider");
        // an alert lists the tenants that may see it; the stream counts against the caller's tenant
        SseHub.Caller caller = AuthHandler.streamCaller(ctx);
        String reader = TenantGuard.poolReader(ctx);
        if (model == null && provider == null) {
            allAlerts.open(ctx, ALL, reader, caller);
            return;
        }
        if (model == null || provider == null || model.isBlank() || provider.isBlank()) {
            throw ApiException.badRequest("give both model and provider, or neither for every alert");
        }
        String key = SlmRequest.key(model, provider);
        if (reader != null) {
            stores.require(SlmApp.MODEL_TENANTS, key, reader, notShown(key));
        }
        alertsByModel.open(ctx, key, reader, caller);
    }

    /** A window of the SLM stores as the API shows it: the fields of {@code SlmMetricsWindow}, sketches in base64. */
    public static Map<String, Object> windowView(WindowedValue<SlmWindowAggregate> window) {
        return view(SlmWindows.toAvro(window.key(), window.start(), window.end(), window.value()));
    }

    static Map<String, Object> view(SlmMetricsWindow w) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", w.getModel());
        out.put("provider", w.getProvider());
        out.put("window_start", w.getWindowStart().toString());
        out.put("window_end", w.getWindowEnd().toString());
        out.put("requests", w.getRequests());
        out.put("errors", w.getErrors());
        out.put("error_rate", w.getErrorRate());
        out.put("latency_p50_ms", w.getLatencyP50Ms());
        out.put("latency_p95_ms", w.getLatencyP95Ms());
        out.put("latency_p99_ms", w.getLatencyP99Ms());
        out.put("ttft_p50_ms", w.getTtftP50Ms());
        out.put("ttft_p95_ms", w.getTtftP95Ms());
        out.put("output_tokens_per_second", w.getOutputTokensPerSecond());
        out.put("input_tokens", w.getInputTokens());
        out.put("output_tokens", w.getOutputTokens());
        out.put("score", w.getScore());
        out.put("latency_sketch", base64(w.getLatencySketch()));
        out.put("ttft_sketch", base64(w.getTtftSketch()));
        return out;
    }

    static Map<String, Object> view(SlmAlert a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alert_id", a.getAlertId());
        out.put("model", a.getModel());
        out.put("provider", a.getProvider());
        out.put("metric", a.getMetric());
        out.put("level", a.getLevel().name());
        out.put("previous_level", a.getPreviousLevel().name());
        out.put("value", a.getValue());
        out.put("threshold", a.getThreshold());
        out.put("window_start", a.getWindowStart().toString());
        out.put("window_end", a.getWindowEnd().toString());
        out.put("raised_at", a.getRaisedAt().toString());
        out.put("message", a.getMessage());
        return out;
    }

    /** {@code slm.alerts} as an SSE source: every alert on one channel, or one channel per model@provider. */
    static SseSource alertSource(Deserializer<SlmAlert> alerts, boolean byModel) {
        return new SseSource() {
            @Override
            public List<String> topics() {
                return List.of(Topics.SLM_ALERTS.name());
            }

            @Override
            public String channelOf(ConsumerRecord<byte[], byte[]> record) {
                if (!byModel) {
                    return ALL;
                }
                return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            }

            @Override
            public SseMessage render(ConsumerRecord<byte[], byte[]> record) {
                SlmAlert alert = alerts.deserialize(record.topic(), record.headers(), record.value());
                // an alert written before tenants were tracked lists none: a platform operator's only
                return new SseMessage(ALERT_EVENT, view(alert), alert.getEveryTenant() ? SseSource.Readers.EVERY_TENANT
                        : SseSource.Readers.only(Set.copyOf(alert.getTenants())));
            }
        };
    }

    private static String notShown(String key) {
        return "no SLM data of " + key + " for your tenant: a model is shown to the tenants that called it";
    }

    private static String required(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest("query parameter " + name + " is required");
        }
        return value;
    }

    /** ISO-8601 ({@code 2023-12-19T10:00:00Z}) or epoch milliseconds. */
    private static Instant instant(Context ctx, String name, Instant absent) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            return QueryParams.withinYears(name, value.chars().allMatch(Character::isDigit)
                    ? Instant.ofEpochMilli(Long.parseLong(value)) : Instant.parse(value));
        } catch (DateTimeParseException | NumberFormatException e) {
            throw ApiException.badRequest(name + " must be an ISO-8601 instant or epoch milliseconds, got '" + value + "'");
        }
    }

    private static String base64(ByteBuffer bytes) {
        if (bytes == null) {
            return null;
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return Base64.getEncoder().encodeToString(copy);
    }
}
