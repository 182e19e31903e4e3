package io.soma.streams.tools.forecast;

import io.soma.streams.topologies.forecast.ForecastAccuracy;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastKey;
import io.soma.streams.topologies.forecast.ForecastMetrics;
import io.soma.streams.topologies.forecast.ForecastReplay;
import io.soma.streams.topologies.forecast.ForecastSettings;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import io.soma.streams.topologies.forecast.ServeGenSeries;
import io.soma.streams.topologies.forecast.TokenForecaster;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TokenForecast;
import io.soma.streams.avro.TokenUsageWindow;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.tools.forecast.ServeGenForecastEvaluation.Distribution;
import org.apache.kafka.streams.KafkaStreams;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The streaming harness: the ServeGen trace (see {@link ServeGenEvents}) replayed through the real forecast
 * topology in event time, as fast as it goes. It checks that the usage windows add up to the input exactly and
 * that every stored model equals the offline model fed the same closed windows, then scores what the app
 * published: for each tenant, every 24-hour forecast generated during day 13 (so its horizon lies in days 13–14)
 * against the tokens of those 24 hours, beside seasonal-naive (the 24 hours before) and a constant
 * (100,000 tokens a day), with the coverage of its 80 % interval.
 *
 * <p>Run in full on any stack: {@code java ... ForecastReplayEvaluation <bootstrap> <registryUrl> [csv] [tenants]
 * [stateDir]} (the integration test runs it on the embedded stack; docs/forecasting.md).
 */
public final class ForecastReplayEvaluation {
    public static final int TENANTS = 147;

    private ForecastReplayEvaluation() {
    }

    public record Report(int tenants, int events, int closedWindows, long inputTokensOfClosedWindows,
                         long usageTokens, boolean everyWindowExact, double sendSeconds, double replaySeconds,
                         int maxStateBytesPerKey, int tenantsMatchingOffline,
                         int scoredTenants, long scoredForecasts, Distribution forecasterWape,
                         Distribution seasonalNaiveWape, Distribution constantWape, long intervals, long covered) {

        public double coverage() {
            return (double) covered / intervals;
        }

        /** Every window exact, usage equal to the input, every stored model equal to the offline one. */
        public boolean exact() {
            return closedWindows > 0 && everyWindowExact && usageTokens == inputTokensOfClosedWindows
                    && tenantsMatchingOffline == tenants;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, """
                    tenants %d, events %d, closed windows %d; input tokens of closed windows %d, token.usage total %d, \
                    every window exact %s
                    send %.1f s; replay through the topology %.1f s (%.0f events/s)
                    state bytes per key max %d; stored models equal to offline: %d of %d
                    24 h forecasts generated in day 13: %d tenants scored, %d forecasts
                    WAPE forecaster median %.3f p90 %.3f | seasonal-naive median %.3f p90 %.3f | old constant median %.3f p90 %.3f
                    80%% interval coverage %.3f (%d of %d)""",
                    tenants, events, closedWindows, inputTokensOfClosedWindows, usageTokens, everyWindowExact,
                    sendSeconds, replaySeconds, events / replaySeconds, maxStateBytesPerKey,
                    tenantsMatchingOffline, tenants, scoredTenants, scoredForecasts,
                    forecasterWape.median(), forecasterWape.p90(), seasonalNaiveWape.median(), seasonalNaiveWape.p90(),
                    constantWape.median(), constantWape.p90(), coverage(), covered, intervals);
        }
    }

    public static Report run(ForecastReplay replay, Path csv, int tenantCount, Path stateDir) {
        ForecastMetrics metrics = new ForecastMetrics(new PrometheusRegistry());
        ForecastApp.Config config = ForecastApp.Config.defaults(metrics);
        ForecastSettings settings = ForecastSettings.of(config.window());
        Map<String, ServeGenSeries> series = ServeGenSeries.read(csv, config.window());
        List<String> chosen = ServeGenSeries.mostActive(series, tenantCount,
                ServeGenForecastEvaluation.FIRST_SCORED_DAY * settings.windowsPerDay());
        String prefix = "replay-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<ConversationEvent> events = ServeGenEvents.read(csv, chosen, prefix);
        replay.requireRetentionCovering(ServeGenEvents.EPOCH);
        Map<String, List<Long>> closed = replay.closedWindowStarts(events, config);
        int expected = closed.values().stream().mapToInt(List::size).sum();
        Set<String> tenants = new HashSet<>(chosen.stream().map(t -> prefix + t).toList());

        String applicationId = "soma-forecast-replay-" + UUID.randomUUID();
        try (ForecastReplay.Outputs outputs = replay.outputs(tenants)) {
            // the whole trace is in Kafka before the app starts, so the replay runs as fast as the app goes
            replay.positionAtEndUnlessCommitted(applicationId);
            long started = System.nanoTime();
            replay.send(events);
            double sendSeconds = (System.nanoTime() - started) / 1e9;
            started = System.nanoTime();
            KafkaStreams streams = replay.start(applicationId, config, stateDir);
            try {
                try {
                    outputs.await(expected, expected);
                } catch (IllegalStateException e) {
                    // say which windows never came, to tell a lost window from a late one
                    Set<String> seen = new HashSet<>();
                    outputs.usage().forEach(w -> seen.add(w.getTenant() + "@" + w.getWindowStart().toEpochMilli()));
                    List<String> missing = new ArrayList<>();
                    closed.forEach((t, starts) -> starts.stream().filter(st -> !seen.contains(t + "@" + st))
                            .forEach(st -> missing.add(t + "@" + Instant.ofEpochMilli(st))));
                    Collections.sort(missing);
                    throw new IllegalStateException(e.getMessage() + "; late events counted: "
                            + tenants.stream().mapToDouble(metrics::lateEvents).sum() + "; missing "
                            + missing.subList(0, Math.min(30, missing.size())), e);
                }
                double replaySeconds = (System.nanoTime() - started) / 1e9;
                return report(settings, series, prefix, events, closed, outputs, streams, sendSeconds, replaySeconds);
            } finally {
                if (!streams.close(ForecastReplay.LEAVE_GROUP)) {
                    // its threads may still write there: a caller must not delete or reuse the state dir yet
                    System.err.println("the forecast app did not close in time; its state dir " + stateDir
                            + " may still be in use");
                }
            }
        }
    }

    private static Report report(ForecastSettings settings, Map<String, ServeGenSeries> series, String prefix,
                                 List<ConversationEvent> events, Map<String, List<Long>> closed,
                                 ForecastReplay.Outputs outputs, KafkaStreams streams, double sendSeconds,
                                 double replaySeconds) {
        Map<String, Long> inputByWindow = new HashMap<>();
        Map<String, List<ConversationEvent>> closedEvents = new HashMap<>();
        Map<String, Set<Long>> closedStarts = new HashMap<>();
        closed.forEach((tenant, starts) -> closedStarts.put(tenant, new HashSet<>(starts)));
        for (ConversationEvent e : events) {
            long start = e.getTimestamp().toEpochMilli();
            if (closedStarts.getOrDefault(e.getTenant(), Set.of()).contains(start)) {
                inputByWindow.merge(e.getTenant() + "@" + start, (long) e.getPromptTokens() + e.getCompletionTokens(), Long::sum);
                closedEvents.computeIfAbsent(e.getTenant(), t -> new ArrayList<>()).add(e);
            }
        }
        Map<String, Long> usageByWindow = new HashMap<>();
        for (TokenUsageWindow w : outputs.usage()) {
            usageByWindow.merge(w.getTenant() + "@" + w.getWindowStart().toEpochMilli(), w.getTotalTokens(), Long::sum);
        }
        int maxKeyBytes = 0;
        int matching = 0;
        for (Map.Entry<String, List<ConversationEvent>> tenant : closedEvents.entrySet()) {
            var key = new ForecastKey(tenant.getKey(), ForecastKey.UNKNOWN, ForecastKey.UNKNOWN);
            byte[] storedModel = ForecastReplay.storedForecasters(streams, tenant.getKey()).get(key).toBytes();
            maxKeyBytes = Math.max(maxKeyBytes, storedModel.length);
            TokenForecaster offline = TokenForecaster.create(settings);
            tenant.getValue().forEach(e -> offline.observe(e.getTimestamp().toEpochMilli(), e.getPromptTokens(),
                    e.getCompletionTokens()));
            matching += Arrays.equals(storedModel, offline.toBytes()) ? 1 : 0;
        }
        return score(settings, series, prefix, events.size(), outputs.forecasts())
                .withChecks(closedEvents.size(), events.size(), usageByWindow.size(),
                        inputByWindow.values().stream().mapToLong(Long::longValue).sum(),
                        usageByWindow.values().stream().mapToLong(Long::longValue).sum(),
                        usageByWindow.equals(inputByWindow), sendSeconds, replaySeconds, maxKeyBytes,
                        matching);
    }

    /** Scores of the published 24-hour forecasts generated during day 13. */
    private record Scores(int scoredTenants, long scoredForecasts, Distribution forecaster, Distribution naive,
                          Distribution constant, long intervals, long covered) {
        Report withChecks(int tenants, int events, int closedWindows, long input, long usage, boolean exact,
                          double sendSeconds, double replaySeconds, int keyBytes, int matching) {
            return new Report(tenants, events, closedWindows, input, usage, exact, sendSeconds, replaySeconds,
                    keyBytes, matching, scoredTenants, scoredForecasts, forecaster, naive, constant,
                    intervals, covered);
        }
    }

    private static Scores score(ForecastSettings settings, Map<String, ServeGenSeries> series, String prefix,
                                int events, List<TokenForecast> forecasts) {
        long windowMs = settings.window().toMillis();
        int period = settings.windowsPerDay();
        long firstGenerated = (long) ServeGenForecastEvaluation.FIRST_SCORED_DAY * period;
        Map<String, ForecastAccuracy[]> byTenant = new HashMap<>();
        long scoredForecasts = 0;
        for (TokenForecast f : forecasts) {
            long generated = (f.getGeneratedAt().toEpochMilli() - ServeGenEvents.EPOCH.toEpochMilli()) / windowMs;
            if (generated < firstGenerated || generated > firstGenerated + period) {
                continue;
            }
            ServeGenSeries s = series.get(f.getTenant().substring(prefix.length()));
            int windows = (int) Math.ceil(f.getHorizonHours() * 3_600_000.0 / windowMs);
            double actual = sum(s, generated, windows);
            ForecastAccuracy[] a = byTenant.computeIfAbsent(f.getTenant(),
                    t -> new ForecastAccuracy[]{new ForecastAccuracy(), new ForecastAccuracy(), new ForecastAccuracy()});
            a[0].add(actual, new TokenForecaster.Interval(f.getEstimatedTokens(), f.getLower(), f.getUpper()));
            a[1].add(actual, sum(s, generated - windows, windows));
            a[2].add(actual, ServeGenForecastEvaluation.OLD_CONSTANT_TOKENS_PER_DAY * f.getHorizonHours() / 24);
            scoredForecasts++;
        }
        List<ForecastAccuracy[]> scored = byTenant.values().stream().filter(a -> a[0].actualTotal() > 0).toList();
        return new Scores(scored.size(), scoredForecasts,
                Distribution.of(scored.stream().map(a -> a[0].wape()).toList()),
                Distribution.of(scored.stream().map(a -> a[1].wape()).toList()),
                Distribution.of(scored.stream().map(a -> a[2].wape()).toList()),
                scored.stream().mapToLong(a -> a[0].intervalCount()).sum(),
                scored.stream().mapToLong(a -> a[0].coveredCount()).sum());
    }

    private static double sum(ServeGenSeries s, long fromWindow, int windows) {
        double total = 0;
        for (long w = Math.max(0, fromWindow); w < Math.min(s.promptTokens().length, fromWindow + windows); w++) {
            total += s.total((int) w);
        }
        return total;
    }

    /** Registers every value schema and creates every topic the apps need, as a Soma process does at start. */
    static void provision(String bootstrapServers, String schemaRegistryUrl) {
        new SchemaRegistrar(new SchemaRegistryClient(schemaRegistryUrl)).registerAll(Topics.valueSchemas());
        TopicProvisioner.ensure(bootstrapServers, Topics.provisioned(), 3, (short) 1);
    }

    /**
     * {@code <bootstrap> <registryUrl> [csv] [tenants] [stateDir] [--keep-trace-records]}: the last sets
     * {@code retention.ms=-1} on the topics the 2025 trace goes through, which a default 7-day retention would
     * empty mid-replay (without it, such topics are refused).
     */
    public static void main(String[] argv) {
        List<String> all = List.of(argv);
        boolean keepTraceRecords = all.contains("--keep-trace-records");
        String[] args = all.stream().filter(a -> !a.equals("--keep-trace-records")).toArray(String[]::new);
        if (args.length < 2) {
            System.err.println("usage: ForecastReplayEvaluation <bootstrap> <registryUrl> [csv] [tenants] [stateDir]"
                    + " [--keep-trace-records]");
            System.exit(2);
        }
        Path csv = Path.of(args.length > 2 ? args[2] : "../shared/data/servegen-language/servegen_m-large.csv");
        int tenants = args.length > 3 ? Integer.parseInt(args[3]) : TENANTS;
        Path stateDir = Path.of(args.length > 4 ? args[4] : "target/forecast-replay-state");
        provision(args[0], args[1]);
        try (ForecastReplay replay = new ForecastReplay(args[0], args[1])) {
            if (keepTraceRecords) {
                replay.keepRecordsOfAnyAge();
            }
            Report report = run(replay, csv, tenants, stateDir);
            System.out.println(report);
            if (!report.exact()) {
                System.err.println("the streaming app did not reproduce the input and the offline model exactly");
                System.exit(1);
            }
        }
    }
}
