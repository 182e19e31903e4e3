package io.soma.streams.topologies.forecast;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TokenForecast;
import io.soma.streams.avro.TokenUsageWindow;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.Topics;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.slm.LlmPerfRecords;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The forecast app on the real broker and registry, fed real ServeGen windows. Each test has its own application
 * id, state dir and tenant names, and its app starts at the end of the shared {@code conversation.events}.
 */
class ForecastAppIT {
    private static final long MINUTE = 60_000;
    private static LocalStack stack;
    private static ForecastReplay replay;
    private static List<ConversationEvent> busiestTenant;

    @BeforeAll
    static void setUp() {
        stack = ProvisionedStack.shared();
        replay = new ForecastReplay(stack.bootstrapServers(), stack.schemaRegistryUrl());
        // the trace's 2025 timestamps are far older than a default retention keeps
        replay.keepRecordsOfAnyAge();
        var series = ServeGenSeries.read(TokenForecasterTest.servegen(), ForecastSettings.DEFAULT_WINDOW);
        String tenant = ServeGenSeries.mostActive(series, 1, 12 * 144).get(0);
        busiestTenant = ServeGenEvents.read(TokenForecasterTest.servegen(), List.of(tenant), "");
    }

    @AfterAll
    static void tearDown() {
        if (replay != null) {
            replay.close();
        }
    }

    @Test
    void shouldCountLateEventsInsideGraceInTheirWindowAndBeyondGraceAsLate(@TempDir Path stateDir) {
        List<ConversationEvent> run = renamed(consecutiveWindows(8), "late-" + UUID.randomUUID());
        String tenant = run.get(0).getTenant();
        ForecastMetrics metrics = new ForecastMetrics(new PrometheusRegistry());
        var config = new ForecastApp.Config(Duration.ofMinutes(10), Duration.ofMinutes(5), 24, PriceTable.defaults(), metrics);
        // window 1 arrives after window 2 (inside the grace period); window 3 after window 5 (beyond it)
        List<ConversationEvent> arrival = List.of(run.get(0), run.get(2), run.get(1), run.get(5), run.get(3), run.get(7));

        try (var outputs = replay.outputs(Set.of(tenant))) {
            KafkaStreams streams = replay.start("forecast-late-" + UUID.randomUUID(), config, stateDir);
            try {
                replay.send(arrival);
                List<TokenUsageWindow> usage = outputs.await(4, 4).usage();

                assertThat(usage).extracting(w -> w.getWindowStart().toEpochMilli()).containsExactly(
                        start(run.get(0)), start(run.get(1)), start(run.get(2)), start(run.get(5)));
                assertThat(usage.get(1).getPromptTokens()).isEqualTo(run.get(1).getPromptTokens().longValue());
                assertThat(usage.get(1).getCompletionTokens()).isEqualTo(run.get(1).getCompletionTokens().longValue());
                assertThat(metrics.lateEvents(tenant)).isEqualTo(1.0);
            } finally {
                StreamsApps.closeLeavingGroup(streams);
            }
        }
    }

    @Test
    void shouldContinueFromTheStoredModelAfterARestartWithoutDoubleCounting(@TempDir Path stateDir) {
        List<ConversationEvent> events = renamed(busiestTenant.stream()
                .filter(e -> start(e) < ServeGenEvents.EPOCH.toEpochMilli() + 4 * 24 * 60 * MINUTE).toList(),
                "restart-" + UUID.randomUUID());
        String tenant = events.get(0).getTenant();
        List<ConversationEvent> firstHalf = events.subList(0, events.size() / 2);
        List<ConversationEvent> secondHalf = events.subList(events.size() / 2, events.size());
        var config = ForecastApp.Config.defaults(new ForecastMetrics(new PrometheusRegistry()));
        String appId = "forecast-restart-" + UUID.randomUUID();
        int closedAfterFirst = replay.closedWindowStarts(firstHalf, config).get(tenant).size();
        List<Long> closedAtTheEnd = replay.closedWindowStarts(events, config).get(tenant);

        try (var outputs = replay.outputs(Set.of(tenant))) {
            KafkaStreams first = replay.start(appId, config, stateDir);
            try {
                replay.send(firstHalf);
                outputs.await(closedAfterFirst, closedAfterFirst);
            } finally {
                // deleting the state dir under a thread that is still closing would race with it
                assertThat(StreamsApps.closeLeavingGroup(first)).as("closed before its state dir is wiped").isTrue();
            }
            // a wiped state dir: the open windows and the model come back from their changelogs
            TestPaths.deleteRecursively(stateDir);

            KafkaStreams second = replay.start(appId, config, stateDir);
            try {
                replay.send(secondHalf);
                List<TokenUsageWindow> usage = outputs.await(closedAtTheEnd.size(), closedAtTheEnd.size()).usage();

                assertThat(usage).extracting(w -> w.getWindowStart().toEpochMilli())
                        .containsExactlyElementsOf(closedAtTheEnd);
                Map<Long, Long> input = events.stream().filter(e -> closedAtTheEnd.contains(start(e))).collect(
                        Collectors.toMap(ForecastAppIT::start, e -> (long) e.getPromptTokens() + e.getCompletionTokens()));
                assertThat(usage).allSatisfy(w ->
                        assertThat(w.getTotalTokens()).isEqualTo(input.get(w.getWindowStart().toEpochMilli())));
                TokenForecaster offline = TokenForecaster.create(ForecastSettings.defaults());
                events.stream().filter(e -> closedAtTheEnd.contains(start(e)))
                        .forEach(e -> offline.observe(start(e), e.getPromptTokens(), e.getCompletionTokens()));
                TokenForecaster stored = ForecastReplay.storedForecasters(second, tenant).values().iterator().next();
                assertThat(stored.toBytes()).isEqualTo(offline.toBytes());
                assertThat(outputs.forecasts()).hasSize(closedAtTheEnd.size());
            } finally {
                StreamsApps.closeLeavingGroup(second);
            }
        }
    }

    @Test
    void shouldKeepEveryModelOfATenantWhoseStatesTogetherOutgrowOneKafkaRecord(@TempDir Path stateDir) {
        // at 2-minute windows one key's state is about 78 KB, so the 19 LLMPerf provider/models of one tenant
        // hold about 1.5 MB: more than one changelog record may carry
        var config = new ForecastApp.Config(Duration.ofMinutes(2), Duration.ZERO, 24, PriceTable.defaults(),
                new ForecastMetrics(new PrometheusRegistry()));
        String tenant = "models-" + UUID.randomUUID();
        Path data = TestPaths.dataDir();
        List<LlmPerfRecords.Request> firstOfEachModel = LlmPerfRecords.files(data).stream()
                .map(f -> LlmPerfRecords.read(f).get(0)).toList();
        List<ConversationEvent> events = new ArrayList<>();
        firstOfEachModel.forEach(r -> events.add(asTenant(tenant, ReplayPlan.llmPerfEvent(r, ServeGenEvents.EPOCH))));
        // a later request of the first model moves stream time past the end of their windows
        var later = LlmPerfRecords.read(LlmPerfRecords.files(data).get(0)).get(1);
        events.add(asTenant(tenant, ReplayPlan.llmPerfEvent(later, ServeGenEvents.EPOCH.plus(Duration.ofMinutes(2)))));
        int models = firstOfEachModel.size();

        try (var outputs = replay.outputs(Set.of(tenant))) {
            KafkaStreams streams = replay.start("forecast-models-" + UUID.randomUUID(), config, stateDir);
            try {
                replay.send(events);
                outputs.await(models, models);

                Map<ForecastKey, TokenForecaster> stored = ForecastReplay.storedForecasters(streams, tenant);
                assertThat(stored.keySet()).extracting(ForecastKey::provider, ForecastKey::model)
                        .containsExactlyInAnyOrderElementsOf(firstOfEachModel.stream()
                                .map(r -> tuple(r.provider(), r.model())).toList());
                assertThat(stored.values().stream().mapToLong(f -> f.toBytes().length).sum())
                        .isGreaterThan(ForecastApp.MAX_STATE_BYTES_PER_KEY);
                assertThat(outputs.forecasts()).extracting(TokenForecast::getModel).hasSize(models);
            } finally {
                StreamsApps.closeLeavingGroup(streams);
            }
        }
    }

    @Test
    void shouldDeadLetterEventsWithNulOrAnOverlongNameOrNegativeTokensAndCountTheOthers(@TempDir Path stateDir) {
        var config = ForecastApp.Config.defaults(new ForecastMetrics(new PrometheusRegistry()));
        String tenant = "nul-" + UUID.randomUUID();
        String applicationId = "forecast-nul-" + UUID.randomUUID();
        Path data = TestPaths.dataDir();
        List<LlmPerfRecords.Request> requests = LlmPerfRecords.read(LlmPerfRecords.files(data).get(0));
        ConversationEvent good = asTenant(tenant, ReplayPlan.llmPerfEvent(requests.get(0), ServeGenEvents.EPOCH));
        ConversationEvent bad = ConversationEvent.newBuilder(asTenant(tenant,
                ReplayPlan.llmPerfEvent(requests.get(1), ServeGenEvents.EPOCH))).setModel("llama\u00002").build();
        // keyed by, and kept in the value: a model of half a megabyte made a record over the limit
        ConversationEvent overlong = ConversationEvent.newBuilder(asTenant(tenant,
                ReplayPlan.llmPerfEvent(requests.get(3), ServeGenEvents.EPOCH))).setModel("m".repeat(300)).build();
        // -1 for "unknown" would make negative usage, and the forecaster's log of a negative day NaN
        ConversationEvent negative = ConversationEvent.newBuilder(asTenant(tenant,
                ReplayPlan.llmPerfEvent(requests.get(4), ServeGenEvents.EPOCH))).setPromptTokens(-1).build();
        // a later request closes the window (10 minutes + 5 minutes of grace)
        ConversationEvent later = asTenant(tenant,
                ReplayPlan.llmPerfEvent(requests.get(2), ServeGenEvents.EPOCH.plus(Duration.ofMinutes(15))));

        try (var outputs = replay.outputs(Set.of(tenant))) {
            KafkaStreams streams = replay.start(applicationId, config, stateDir);
            try {
                replay.send(List.of(good, bad, overlong, negative, later));
                List<TokenUsageWindow> usage = outputs.await(1, 1).usage();

                assertThat(usage).singleElement().satisfies(w -> {
                    assertThat(w.getModel()).isEqualTo(good.getModel());
                    assertThat(w.getTotalTokens()).isEqualTo((long) good.getPromptTokens() + good.getCompletionTokens());
                });
                assertThat(deadLettersOf(applicationId, 3)).hasSize(3)
                        .anySatisfy(reason -> assertThat(reason).contains("must not contain NUL"))
                        .anySatisfy(reason -> assertThat(reason).contains("the event's model is 300 characters"))
                        .anySatisfy(reason -> assertThat(reason).contains("prompt_tokens -1"));
            } finally {
                StreamsApps.closeLeavingGroup(streams);
            }
        }
    }

    /** The reasons of the committed dead letters {@code applicationId} wrote (its id is this test's own). */
    private static List<String> deadLettersOf(String applicationId, int n) {
        return CommittedRecords.await(stack.bootstrapServers(), Topics.DEAD_LETTER, new ByteArrayDeserializer(),
                        new ByteArrayDeserializer(), r -> applicationId.equals(header(r, DlqHeaders.APP)), n,
                        Duration.ofMinutes(1))
                .stream().map(r -> header(r, DlqHeaders.REASON)).toList();
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldRefuseAWindowWhoseStatePerKeyCannotBeOneKafkaRecord() {
        assertThatThrownBy(() -> new ForecastApp.Config(Duration.ofSeconds(5), Duration.ZERO, 24,
                PriceTable.defaults(), new ForecastMetrics(new PrometheusRegistry())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("choose a longer window");
    }

    @Test
    void shouldRefuseToReplayOntoATopicWhoseRetentionWouldDeleteTheTrace() throws Exception {
        String weekMs = String.valueOf(Duration.ofDays(7).toMillis());
        var usage = new ConfigResource(ConfigResource.Type.TOPIC, Topics.TOKEN_USAGE.name());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            admin.incrementalAlterConfigs(Map.of(usage, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, weekMs), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            try {
                // the broker applies an accepted change a moment later: the check must see the week, not the old -1
                KafkaState.awaitTopicConfig(admin, Topics.TOKEN_USAGE.name(), TopicConfig.RETENTION_MS_CONFIG, weekMs);
                assertThatThrownBy(() -> replay.requireRetentionCovering(ServeGenEvents.EPOCH))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("token.usage (retention.ms=" + weekMs + ")").hasMessageContaining("retention.ms=-1");
            } finally {
                replay.keepRecordsOfAnyAge();
            }
            replay.requireRetentionCovering(ServeGenEvents.EPOCH);
        }
    }

    private static ConversationEvent asTenant(String tenant, ConversationEvent e) {
        return ConversationEvent.newBuilder(e).setTenant(tenant).setSessionId(tenant)
                .setEventId(tenant + ":" + e.getEventId()).build();
    }

    /** The first run of {@code count} back-to-back windows of the busiest tenant (real values, real gaps none). */
    private static List<ConversationEvent> consecutiveWindows(int count) {
        for (int i = 0; i + count <= busiestTenant.size(); i++) {
            List<ConversationEvent> run = busiestTenant.subList(i, i + count);
            if (start(run.get(count - 1)) - start(run.get(0)) == (count - 1) * 10 * MINUTE) {
                return run;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive windows in the busiest tenant");
    }

    /** The same real windows under a tenant name of this test's own. */
    private static List<ConversationEvent> renamed(List<ConversationEvent> events, String tenant) {
        return events.stream().map(e -> ConversationEvent.newBuilder(e).setTenant(tenant)
                .setEventId(tenant + ":" + start(e)).setSessionId(tenant).build()).toList();
    }

    private static long start(ConversationEvent e) {
        return e.getTimestamp().toEpochMilli();
    }
}
