package io.soma.streams.topologies.slm;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.SlmAlert;
import io.soma.streams.avro.SlmMetricsWindow;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.TestDriverSettings;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The topology on a test driver, with LLMPerf requests and the real schema registry (hence an IT: the serdes
 * register and look up their schemas there).
 */
class SlmAppTopologyIT {
    private static final Instant START = Instant.parse("2023-12-19T10:00:00Z");
    private static final Duration GRACE = SlmApp.Config.defaults().grace();
    private static final AlertThresholds TOGETHER_13B_SLO = AlertThresholds.fromConfig(Map.of(
            "slm.alerts.override.llama-2-13b-chat@together.latency-p95-warn-ms", "2000",
            "slm.alerts.override.llama-2-13b-chat@together.latency-p95-breach-ms", "3000"));
    private static AppSerdes serdes;
    private final Path stateDir = TestPaths.newWorkDir("slm-topology");
    private TopologyTestDriver driver;
    private TestInputTopic<String, ConversationEvent> events;
    private TestOutputTopic<String, SlmMetricsWindow> metrics;
    private TestOutputTopic<String, SlmAlert> alerts;

    @BeforeAll
    static void registry() {
        serdes = new AppSerdes(new SchemaRegistryClient(ProvisionedStack.shared().schemaRegistryUrl()));
    }

    private void start(SlmApp.Config config) {
        Properties props = TestDriverSettings.of("slm-test", stateDir);
        driver = new TopologyTestDriver(SlmApp.build(config, serdes), props);
        events = driver.createInputTopic(Topics.CONVERSATION_EVENTS.name(), new StringSerializer(),
                serdes.value(Topics.CONVERSATION_EVENTS).serializer());
        metrics = driver.createOutputTopic(Topics.SLM_METRICS.name(), new StringDeserializer(),
                serdes.value(Topics.SLM_METRICS).deserializer());
        alerts = driver.createOutputTopic(Topics.SLM_ALERTS.name(), new StringDeserializer(),
                serdes.value(Topics.SLM_ALERTS).deserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void shouldReadItsSettingsWithPerModelThresholds() {
        SlmApp.Config config = SlmApp.Config.from(Settings.of(Map.of("slm.window.grace", "PT30S",
                        "slm.alerts.latency-p95-warn-ms", "1000",
                        "slm.alerts.override.llama-2-70b-chat@replicate.latency-p95-breach-ms", "40000")),
                SlmApp.WindowListener.NONE);
        assertThat(config.grace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.thresholds().limitsFor("llama-2-70b-chat", "replicate").latencyP95BreachMs()).isEqualTo(40000);
        assertThat(config.thresholds().limitsFor("llama-2-70b-chat", "groq").latencyP95BreachMs()).isEqualTo(1200);
    }

    /**
     * Together's 13B replay at 25 requests a minute, as AlertStateMachineTest replays them, then one request 15
     * minutes on: under {@link #TOGETHER_13B_SLO} both alerts are raised, then resolved. Returns the requests.
     */
    private List<LlmPerfRecords.Request> raiseAndResolveTogether() {
        List<LlmPerfRecords.Request> together = LlmPerfRecords.read(SlmDatasets.file("together_13b.json"));
        send(SlmEvents.timed(together, START, Duration.ofMillis(2_400)));
        send(SlmEvents.timed(together.subList(0, 1), START.plus(Duration.ofMinutes(15)), Duration.ZERO));
        return together;
    }

    private void send(List<ConversationEvent> batch) {
        // the record timestamp is when Kafka got it; the app must window by the event's own time
        batch.forEach(e -> events.pipeInput(e.getSessionId(), e, Instant.now()));
    }

    @Test
    void shouldEmitAMinuteOnceWhenItClosesAndCountOnlyCompletedRequests() {
        List<SlmWindowSummary> seen = new ArrayList<>();
        start(SlmApp.Config.defaults().withListener((model, provider, end, summary) -> seen.add(summary)));
        List<LlmPerfRecords.Request> groq = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(0, 40);
        List<ConversationEvent> inWindow = SlmEvents.timed(groq, START, Duration.ofSeconds(1));
        send(inWindow);
        // a prompt of the same model (no outcome) and an event naming no model do not count
        ConversationEvent prompt = ConversationEvent.newBuilder(inWindow.get(0)).setEventId("prompt")
                .setEventType("conversation.step").setRole("user").setStatus(null).setLatencyMs(null).setTtftMs(null).build();
        ConversationEvent noModel = ConversationEvent.newBuilder(inWindow.get(1)).setEventId("no-model").setModel(null).build();
        send(List.of(prompt, noModel));
        assertThat(metrics.isEmpty()).as("nothing before the window closes").isTrue();

        // the next request after end + grace closes the minute
        List<LlmPerfRecords.Request> next = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(40, 41);
        send(SlmEvents.timed(next, START.plus(Duration.ofMinutes(1)).plus(GRACE), Duration.ZERO));

        List<SlmMetricsWindow> windows = metrics.readValuesToList().stream()
                .filter(w -> Duration.between(w.getWindowStart(), w.getWindowEnd()).equals(Duration.ofMinutes(1))).toList();
        assertThat(windows).hasSize(1);
        SlmMetricsWindow minute = windows.get(0);
        assertThat(minute.getWindowStart()).isEqualTo(START);
        assertThat(minute.getWindowEnd()).isEqualTo(START.plus(Duration.ofMinutes(1)));
        assertThat(minute.getModel()).isEqualTo("llama-2-70b-chat");
        assertThat(minute.getProvider()).isEqualTo("groq");
        assertThat(minute.getRequests()).isEqualTo(40);
        SlmWindowAggregate expected = SlmDatasets.window(SlmEvents.slmRequests(groq));
        assertThat(minute.getLatencySketch()).isEqualTo(ByteBuffer.wrap(expected.endToEndLatencySketch()));
        assertThat(minute.getTtftSketch()).isEqualTo(ByteBuffer.wrap(expected.timeToFirstTokenSketch()));
        assertThat(SlmEvents.maxRelativeError(minute, SlmEvents.slmRequests(groq))).isLessThanOrEqualTo(0.01);
        assertThat(seen).containsExactly(expected.summary(Duration.ofMinutes(1)));
    }

    /** Keyed by model and provider, and kept in the value: a model of half a megabyte made a record over the limit. */
    @Test
    void shouldRefuseAnEventWhoseModelIsTooLongToKeyBy() {
        start(SlmApp.Config.defaults());
        List<LlmPerfRecords.Request> groq = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(0, 1);
        ConversationEvent overlong = ConversationEvent.newBuilder(SlmEvents.timed(groq, START, Duration.ZERO).get(0))
                .setModel("m".repeat(EventNames.MAX_CHARS + 1)).build();

        // the process's handler sends it to the dead-letter topic; without one the driver throws
        assertThatThrownBy(() -> send(List.of(overlong)))
                .hasStackTraceContaining("the event's model is " + (EventNames.MAX_CHARS + 1) + " characters");
    }

    /**
     * A sketch takes a negative latency as a real one and NaN as 0, and one latency in another unit collapses every
     * other sample; a first token after the end inflates tokens per second; a provider with '@' would merge two keys.
     */
    @Test
    void shouldRefuseAnEventWithAMeasurementNoRequestCanHave() {
        List<LlmPerfRecords.Request> groq = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(0, 1);
        ConversationEvent real = SlmEvents.timed(groq, START, Duration.ZERO).get(0);
        Map<String, ConversationEvent> refused = Map.of(
                "latency_ms and ttft_ms must be finite and in 0..86400000 ms, got -1.0",
                ConversationEvent.newBuilder(real).setLatencyMs(-1.0).build(),
                "latency_ms and ttft_ms must be finite and in 0..86400000 ms, got " + real.getLatencyMs() + " and NaN",
                ConversationEvent.newBuilder(real).setTtftMs(Double.NaN).build(),
                "and in 0..86400000 ms, got 1.0E13",
                ConversationEvent.newBuilder(real).setLatencyMs(1e13).build(),
                "ttft_ms must not exceed latency_ms",
                ConversationEvent.newBuilder(real).setTtftMs(real.getLatencyMs() + 2).build(),
                "token counts must be 0..",
                ConversationEvent.newBuilder(real).setCompletionTokens(-1).build(),
                "a provider must not hold '@'",
                ConversationEvent.newBuilder(real).setProvider("groq@eu").build());

        refused.forEach((reason, event) -> {
            start(SlmApp.Config.defaults());
            // the process's handler sends it to the dead-letter topic with this reason; without one the driver throws
            assertThatThrownBy(() -> send(List.of(event))).hasStackTraceContaining(reason);
            driver.close();
            driver = null;
        });
    }

    /**
     * A failed request is counted, whatever placeholder durations or token counts it carries; a rounded first token is
     * taken.
     */
    @Test
    void shouldCountAFailedRequestWhateverItsMeasurementsSayAndTakeARoundedFirstToken() {
        start(SlmApp.Config.defaults());
        List<LlmPerfRecords.Request> groq = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(0, 3);
        List<ConversationEvent> real = SlmEvents.timed(groq, START, Duration.ofSeconds(1));
        ConversationEvent failed = ConversationEvent.newBuilder(real.get(0)).setStatus("error").setLatencyMs(0.0)
                .setTtftMs(1e13).setCompletionTokens(-1).build();
        ConversationEvent rounded = ConversationEvent.newBuilder(real.get(1))
                .setTtftMs(real.get(1).getLatencyMs() + 0.6).build();
        send(List.of(failed, rounded));
        send(SlmEvents.timed(groq.subList(2, 3), START.plus(Duration.ofMinutes(1)).plus(GRACE), Duration.ZERO));

        SlmMetricsWindow minute = metrics.readValuesToList().stream()
                .filter(w -> w.getWindowStart().equals(START)
                        && Duration.between(w.getWindowStart(), w.getWindowEnd()).equals(Duration.ofMinutes(1)))
                .findFirst().orElseThrow();
        assertThat(minute.getRequests()).isEqualTo(2);
        assertThat(minute.getErrors()).isEqualTo(1);
    }

    @Test
    void shouldMakeTheFiveMinuteViewTheExactMergeOfItsMinutes() {
        start(SlmApp.Config.defaults());
        List<LlmPerfRecords.Request> together = LlmPerfRecords.read(SlmDatasets.file("together_13b.json"));
        // 150 requests, 2 s apart: five whole minutes
        send(SlmEvents.timed(together, START, Duration.ofSeconds(2)));
        send(SlmEvents.timed(together.subList(0, 1), START.plus(Duration.ofMinutes(15)), Duration.ZERO));

        Map<String, List<SlmMetricsWindow>> byLength = new java.util.HashMap<>();
        metrics.readValuesToList().forEach(w -> byLength.computeIfAbsent(
                Duration.between(w.getWindowStart(), w.getWindowEnd()).toString(), k -> new ArrayList<>()).add(w));
        assertThat(byLength.get("PT1M")).hasSize(5);
        SlmMetricsWindow fiveMinutes = byLength.get("PT5M").stream()
                .filter(w -> w.getWindowStart().equals(START)).findFirst().orElseThrow();
        SlmWindowAggregate all = SlmDatasets.window(SlmEvents.slmRequests(together));
        assertThat(fiveMinutes.getRequests()).isEqualTo(150);
        assertThat(fiveMinutes.getErrors()).isEqualTo(1);
        assertThat(fiveMinutes.getLatencySketch()).isEqualTo(ByteBuffer.wrap(all.endToEndLatencySketch()));
        assertThat(fiveMinutes.getLatencyP95Ms()).isEqualTo(all.endToEndLatencyMs(0.95));
        assertThat(fiveMinutes.getRequests()).isEqualTo(byLength.get("PT1M").stream().mapToLong(SlmMetricsWindow::getRequests).sum());
    }

    @Test
    void shouldRaiseAndResolveOnceAndKeepTheLevelsInTheStore() {
        start(SlmApp.Config.defaults().withThresholds(TOGETHER_13B_SLO));
        raiseAndResolveTogether();

        assertThat(alerts.readValuesToList()).extracting(a -> a.getMetric() + " " + a.getLevel() + " @" + a.getWindowStart())
                .containsExactly(
                        "latency_p95 BREACH @" + START.plus(Duration.ofMinutes(2)),
                        "error_rate BREACH @" + START.plus(Duration.ofMinutes(2)),
                        "latency_p95 OK @" + START.plus(Duration.ofMinutes(3)),
                        "error_rate OK @" + START.plus(Duration.ofMinutes(3)));
        KeyValueStore<String, byte[]> states = driver.getKeyValueStore(SlmApp.ALERT_STATES);
        assertThat(AlertState.fromBytes(states.get("llama-2-13b-chat@together"))).isEqualTo(AlertState.ALL_OK);
    }

    /**
     * A model's name can be one tenant's own: its alerts name the tenants that may see them, those whose calls to it
     * succeeded.
     */
    @Test
    void shouldListOnEveryAlertTheTenantsThatCalledTheModelSoFar() {
        start(SlmApp.Config.defaults().withThresholds(TOGETHER_13B_SLO));
        List<LlmPerfRecords.Request> together = LlmPerfRecords.read(SlmDatasets.file("together_13b.json"));
        List<ConversationEvent> timed = SlmEvents.timed(together, START, Duration.ofMillis(2_400));
        // one request of another tenant among the replay tenant's, after its first
        List<ConversationEvent> mixed = new ArrayList<>(timed);
        mixed.set(1, ConversationEvent.newBuilder(timed.get(1)).setTenant("acme").build());
        // the replay's one failed request, sent by a third tenant: a failed call proves no access to the model
        int failedAt = IntStream.range(2, timed.size()).filter(i -> "error".equals(timed.get(i).getStatus()))
                .findFirst().orElseThrow();
        mixed.set(failedAt, ConversationEvent.newBuilder(timed.get(failedAt)).setTenant("mallory").build());
        send(mixed);
        send(SlmEvents.timed(together.subList(0, 1), START.plus(Duration.ofMinutes(15)), Duration.ZERO));

        String replayTenant = timed.get(0).getTenant();
        assertThat(alerts.readValuesToList()).hasSize(4).allSatisfy(a -> {
            assertThat(a.getTenants()).containsExactly(replayTenant, "acme");
            assertThat(a.getEveryTenant()).isFalse();
        });
        KeyValueStore<String, byte[]> tenants = driver.getKeyValueStore(SlmApp.MODEL_TENANTS);
        assertThat(ModelCallers.fromBytes(tenants.get("llama-2-13b-chat@together")).tenants())
                .containsExactly(replayTenant, "acme");
    }

    /**
     * Events may name any model: a model with nothing left in the stores is forgotten, callers and alert state, while
     * one whose alert is still raised is kept until a window resolves it.
     */
    @Test
    void shouldForgetAModelIdleForTheStoresRetentionUnlessItsAlertIsStillRaised() {
        start(SlmApp.Config.defaults().withThresholds(TOGETHER_13B_SLO));
        // raised and resolved again: its state is all OK
        List<LlmPerfRecords.Request> together = raiseAndResolveTogether();
        // 130 of its 150 requests rate-limited: its error rate stays in BREACH, no later window resolves it
        List<LlmPerfRecords.Request> lepton = LlmPerfRecords.read(SlmDatasets.file("lepton_13b.json"));
        send(SlmEvents.timed(lepton, START.plus(Duration.ofMinutes(20)), Duration.ZERO));
        KeyValueStore<String, byte[]> tenants = driver.getKeyValueStore(SlmApp.MODEL_TENANTS);
        KeyValueStore<String, byte[]> states = driver.getKeyValueStore(SlmApp.ALERT_STATES);
        assertThat(states.get("llama-2-13b-chat@together")).isNotNull();
        assertThat(tenants.get("llama-2-13b-chat@together")).isNotNull();

        // still within the retention: kept
        List<LlmPerfRecords.Request> groq = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(0, 1);
        send(SlmEvents.timed(groq, START.plus(Duration.ofHours(23)), Duration.ZERO));
        assertThat(tenants.get("llama-2-13b-chat@together")).isNotNull();

        // more than a day after together's last window, another model's request moves stream time on
        send(SlmEvents.timed(groq, START.plus(Duration.ofHours(26)), Duration.ZERO));
        assertThat(tenants.get("llama-2-13b-chat@together")).isNull();
        assertThat(states.get("llama-2-13b-chat@together")).isNull();
        assertThat(AlertState.fromBytes(states.get("llama-2-13b-chat@lepton")).errorRate()).isEqualTo(AlertLevel.BREACH);
        assertThat(tenants.get("llama-2-13b-chat@lepton")).isNotNull();
        assertThat(tenants.get("llama-2-70b-chat@groq")).isNotNull();

        // called again, the forgotten model lists its caller anew
        send(SlmEvents.timed(together.subList(0, 1), START.plus(Duration.ofHours(27)), Duration.ZERO));
        assertThat(ModelCallers.fromBytes(tenants.get("llama-2-13b-chat@together")).tenants()).isNotEmpty();
    }
}
