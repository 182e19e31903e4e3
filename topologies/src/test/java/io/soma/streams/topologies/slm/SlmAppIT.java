package io.soma.streams.topologies.slm;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.SlmMetricsWindow;
import io.soma.streams.schemas.Topics;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The SLM app through the real broker and registry, replaying the LLMPerf leaderboard's measurements. */
class SlmAppIT {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration GRACE = SlmApp.Config.defaults().grace();
    private final SlmIntegration it = SlmIntegration.shared();

    /** Every LLMPerf file in one minute of its own model@provider, 300 ms apart (150 requests in 45 s). */
    private static Map<String, List<LlmPerfRecords.Request>> leaderboard() {
        Map<String, List<LlmPerfRecords.Request>> byKey = new LinkedHashMap<>();
        for (Path file : LlmPerfRecords.files(TestPaths.dataDir())) {
            List<LlmPerfRecords.Request> requests = LlmPerfRecords.read(file);
            byKey.put(requests.get(0).toSlmRequest().key(), requests);
        }
        return byKey;
    }

    /**
     * Replays the leaderboard into the minute at {@code start}, waits until the apps hold all of it, then
     * closes the windows with one more request per model@provider ten minutes later.
     *
     * @return which instance holds each key
     */
    private Map<String, KafkaStreams> replay(Map<String, List<LlmPerfRecords.Request>> leaderboard, Instant start,
                                             List<KafkaStreams> instances) {
        List<ConversationEvent> events = new ArrayList<>();
        leaderboard.values().forEach(requests -> events.addAll(SlmEvents.timed(requests, start, Duration.ofMillis(300))));
        it.send(events);
        Map<String, KafkaStreams> holders = new HashMap<>();
        for (var e : leaderboard.entrySet()) {
            holders.put(e.getKey(), SlmIntegration.awaitWindow(instances, e.getKey(), start, e.getValue().size()));
        }
        List<ConversationEvent> closing = new ArrayList<>();
        leaderboard.values().forEach(requests -> closing.addAll(
                SlmEvents.timed(requests.subList(0, 1), start.plus(Duration.ofMinutes(10)), Duration.ZERO)));
        it.send(closing);
        return holders;
    }

    private List<SlmMetricsWindow> minutesAt(Instant start, Set<String> keys) {
        return it.read(Topics.SLM_METRICS, w -> w.getWindowStart().equals(start)
                && Duration.between(w.getWindowStart(), w.getWindowEnd()).equals(MINUTE)
                && keys.contains(SlmRequest.key(w.getModel(), w.getProvider())), keys.size());
    }

    @Test
    void shouldKeepEveryQuantileWithinOnePercentAndCountErrorsExactlyWhenReplayingLlmPerf() {
        Instant start = SlmIntegration.reserve();
        Map<String, List<LlmPerfRecords.Request>> leaderboard = leaderboard();
        KafkaStreams app = it.start("slm-it-" + UUID.randomUUID(), SlmApp.Config.defaults(), TestPaths.newWorkDir("slm-it"));
        try {
            StreamsApps.awaitRunningWithTasks(List.of(app));
            replay(leaderboard, start, List.of(app));

            List<SlmMetricsWindow> minutes = minutesAt(start, leaderboard.keySet());
            assertThat(minutes).hasSize(leaderboard.size());
            double worst = 0;
            for (SlmMetricsWindow w : minutes) {
                List<LlmPerfRecords.Request> records = leaderboard.get(SlmRequest.key(w.getModel(), w.getProvider()));
                assertThat(w.getRequests()).isEqualTo(records.size());
                assertThat(w.getErrors()).as(w.getProvider()).isEqualTo(records.stream().filter(LlmPerfRecords.Request::failed).count());
                double error = SlmEvents.maxRelativeError(w, SlmEvents.slmRequests(records));
                assertThat(error).as(w.getModel() + "@" + w.getProvider()).isLessThanOrEqualTo(0.01);
                worst = Math.max(worst, error);
            }
            System.out.printf("SLM replay: %d windows, %d requests, largest relative quantile error %.3f %%%n",
                    minutes.size(), minutes.stream().mapToLong(SlmMetricsWindow::getRequests).sum(), worst * 100);

            // the five 5-minute windows that hold the minute hold exactly the same requests
            List<SlmMetricsWindow> views = it.read(Topics.SLM_METRICS, w -> !w.getWindowStart().isAfter(start)
                    && w.getWindowEnd().isAfter(start) && w.getWindowEnd().isBefore(start.plus(Duration.ofMinutes(6)))
                    && Duration.between(w.getWindowStart(), w.getWindowEnd()).equals(Duration.ofMinutes(5)),
                    5 * leaderboard.size());
            assertThat(views).hasSize(5 * leaderboard.size());
            Map<String, SlmMetricsWindow> minuteOf = new HashMap<>();
            minutes.forEach(m -> minuteOf.put(SlmRequest.key(m.getModel(), m.getProvider()), m));
            for (SlmMetricsWindow v : views) {
                SlmMetricsWindow m = minuteOf.get(SlmRequest.key(v.getModel(), v.getProvider()));
                assertThat(v.getLatencySketch()).isEqualTo(m.getLatencySketch());
                assertThat(v.getLatencyP95Ms()).isEqualTo(m.getLatencyP95Ms());
                assertThat(v.getErrors()).isEqualTo(m.getErrors());
            }
        } finally {
            StreamsApps.closeLeavingGroup(app);
        }
    }

    @Test
    void shouldMergeTheWindowsOfTwoInstancesToTheQuantilesOfOnePass() throws Exception {
        Instant start = SlmIntegration.reserve();
        Map<String, List<LlmPerfRecords.Request>> leaderboard = leaderboard();
        String appId = "slm-it-two-" + UUID.randomUUID();
        KafkaStreams a = it.start(appId, SlmApp.Config.defaults(), TestPaths.newWorkDir("slm-a"));
        KafkaStreams b = it.start(appId, SlmApp.Config.defaults(), TestPaths.newWorkDir("slm-b"));
        try {
            StreamsApps.awaitRunningWithTasks(List.of(a, b));
            Map<String, KafkaStreams> holders = replay(leaderboard, start, List.of(a, b));
            assertThat(new HashSet<>(holders.values())).as("both instances hold windows").hasSize(2);

            List<SlmMetricsWindow> minutes = minutesAt(start, leaderboard.keySet());
            assertThat(minutes).hasSize(leaderboard.size());
            for (SlmMetricsWindow w : minutes) {
                SlmWindowAggregate onePass = SlmDatasets.window(SlmEvents.slmRequests(
                        leaderboard.get(SlmRequest.key(w.getModel(), w.getProvider()))));
                assertThat(w.getLatencySketch()).isEqualTo(ByteBuffer.wrap(onePass.endToEndLatencySketch()));
                assertThat(w.getTtftSketch()).isEqualTo(ByteBuffer.wrap(onePass.timeToFirstTokenSketch()));
            }
            // each model across its providers: windows the two instances computed apart merge to one pass
            Set<String> modelsAcrossInstances = new HashSet<>();
            for (String model : minutes.stream().map(SlmMetricsWindow::getModel).distinct().toList()) {
                List<SlmMetricsWindow> ofModel = minutes.stream().filter(w -> w.getModel().equals(model)).toList();
                if (ofModel.stream().map(w -> holders.get(SlmRequest.key(w.getModel(), w.getProvider()))).distinct().count() == 2) {
                    modelsAcrossInstances.add(model);
                }
                DDSketch latency = null;
                DDSketch ttft = null;
                for (SlmMetricsWindow w : ofModel) {
                    latency = merge(latency, w.getLatencySketch());
                    ttft = merge(ttft, w.getTtftSketch());
                }
                List<SlmRequest> allOfModel = leaderboard.values().stream().flatMap(List::stream)
                        .filter(r -> r.model().equals(model)).map(LlmPerfRecords.Request::toSlmRequest).toList();
                SlmWindowAggregate onePass = SlmDatasets.window(allOfModel);
                for (double q : new double[]{0.50, 0.95, 0.99}) {
                    assertThat(latency.getValueAtQuantile(q)).as("%s latency q=%s", model, q).isEqualTo(onePass.endToEndLatencyMs(q));
                    assertThat(ttft.getValueAtQuantile(q)).as("%s ttft q=%s", model, q).isEqualTo(onePass.timeToFirstTokenMs(q));
                }
                System.out.printf("SLM two instances: %s over %d providers (%d requests): merged p95 %.1f ms, one pass %.1f ms%n",
                        model, ofModel.size(), allOfModel.size(), latency.getValueAtQuantile(0.95), onePass.endToEndLatencyMs(0.95));
            }
            assertThat(modelsAcrossInstances).as("models whose providers the two instances split").isNotEmpty();
        } finally {
            StreamsApps.closeLeavingGroup(a);
            StreamsApps.closeLeavingGroup(b);
        }
    }

    @Test
    void shouldCountALateEventWithinGraceInItsWindowAndDropOneAfterIt() {
        Instant start = SlmIntegration.reserve();
        List<LlmPerfRecords.Request> groq = LlmPerfRecords.read(SlmDatasets.file("groq_70b.json")).subList(0, 15);
        String key = groq.get(0).toSlmRequest().key();
        KafkaStreams app = it.start("slm-it-late-" + UUID.randomUUID(), SlmApp.Config.defaults(), TestPaths.newWorkDir("slm-late"));
        try {
            StreamsApps.awaitRunningWithTasks(List.of(app));
            List<KafkaStreams> apps = List.of(app);
            Instant next = start.plus(MINUTE);
            it.send(SlmEvents.timed(groq.subList(0, 10), start, Duration.ofSeconds(1)));
            SlmIntegration.awaitWindow(apps, key, start, 10);
            // stream time passes the end of the minute, by less than the grace
            it.send(SlmEvents.timed(groq.subList(10, 11), next.plus(GRACE.dividedBy(3)), Duration.ZERO));
            SlmIntegration.awaitWindow(apps, key, next, 1);
            // late, within grace: it belongs to the first minute and lands there
            it.send(SlmEvents.timed(groq.subList(11, 12), start.plusSeconds(30), Duration.ZERO));
            SlmIntegration.awaitWindow(apps, key, start, 11);
            // end + grace passed: the first minute closes; a request for it now is dropped
            it.send(SlmEvents.timed(groq.subList(12, 13), next.plus(GRACE).plusSeconds(1), Duration.ZERO));
            SlmIntegration.awaitWindow(apps, key, next, 2);
            it.send(SlmEvents.timed(groq.subList(13, 14), start.plusSeconds(40), Duration.ZERO));
            it.send(SlmEvents.timed(groq.subList(14, 15), start.plus(Duration.ofMinutes(10)), Duration.ZERO));

            List<SlmMetricsWindow> minutes = it.read(Topics.SLM_METRICS, w -> key.equals(SlmRequest.key(w.getModel(), w.getProvider()))
                    && (w.getWindowStart().equals(start) || w.getWindowStart().equals(next))
                    && Duration.between(w.getWindowStart(), w.getWindowEnd()).equals(MINUTE), 2);
            assertThat(minutes).extracting(SlmMetricsWindow::getWindowStart).containsExactly(start, next);
            List<LlmPerfRecords.Request> inFirst = new ArrayList<>(groq.subList(0, 10));
            inFirst.add(groq.get(11));
            SlmWindowAggregate expectedFirst = SlmDatasets.window(SlmEvents.slmRequests(inFirst));
            assertThat(minutes.get(0).getRequests()).isEqualTo(11);
            assertThat(minutes.get(0).getLatencySketch()).isEqualTo(ByteBuffer.wrap(expectedFirst.endToEndLatencySketch()));
            assertThat(SlmEvents.maxRelativeError(minutes.get(0), SlmEvents.slmRequests(inFirst))).isLessThanOrEqualTo(0.01);
            assertThat(minutes.get(1).getRequests()).as("the too-late request is in no window").isEqualTo(2);
        } finally {
            StreamsApps.closeLeavingGroup(app);
        }
    }

    private static DDSketch merge(DDSketch into, ByteBuffer encoded) throws IOException {
        byte[] bytes = new byte[encoded.remaining()];
        encoded.duplicate().get(bytes);
        DDSketch sketch = DDSketch.decode(ByteArrayInput.wrap(bytes), () -> new CollapsingLowestDenseStore(2048));
        if (into == null) {
            return sketch;
        }
        into.mergeWith(sketch);
        return into;
    }
}
