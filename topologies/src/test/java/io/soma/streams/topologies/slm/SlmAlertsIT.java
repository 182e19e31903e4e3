package io.soma.streams.topologies.slm;

import io.soma.streams.avro.SlmAlert;
import io.soma.streams.schemas.Topics;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Alerts through the real broker: together 13b, 25 requests a minute in measured order, with a 2 s / 3 s
 * latency SLO for that model@provider. Minute 2 has a p95 of 3.2 s and a failed request; minute 3 recovers.
 * The app is restarted between the raise and the recovery, on the same state directory.
 */
class SlmAlertsIT {
    private static final int PER_MINUTE = 25;
    private final SlmIntegration it = SlmIntegration.shared();

    @Test
    void shouldRaiseOnceAndResolveOnceWithNoDuplicateAfterARestart() {
        Instant start = SlmIntegration.reserve();
        List<LlmPerfRecords.Request> together = LlmPerfRecords.read(SlmDatasets.file("together_13b.json"));
        String key = together.get(0).toSlmRequest().key();
        AlertThresholds thresholds = AlertThresholds.fromConfig(Map.of(
                "slm.alerts.override." + key + ".latency-p95-warn-ms", "2000",
                "slm.alerts.override." + key + ".latency-p95-breach-ms", "3000"));
        SlmApp.Config config = SlmApp.Config.defaults().withThresholds(thresholds);
        String appId = "slm-alerts-it-" + UUID.randomUUID();
        Path stateDir = TestPaths.newWorkDir("slm-alerts");

        KafkaStreams app = it.start(appId, config, stateDir);
        try {
            StreamsApps.awaitRunningWithTasks(List.of(app));
            replayMinutes(together, start, 0, 4, app);
            List<SlmAlert> raised = alertsOf(key, start, 2);
            assertThat(raised).extracting(SlmAlert::getMetric, a -> a.getLevel().name())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("latency_p95", "BREACH"),
                            org.assertj.core.groups.Tuple.tuple("error_rate", "BREACH"));
            assertThat(raised).allSatisfy(a -> assertThat(a.getWindowStart()).isEqualTo(start.plus(Duration.ofMinutes(2))));

            // restart on the same state directory: the levels are kept, nothing is raised again
            // a close that timed out would leave threads on the state directory the new instance opens
            assertThat(StreamsApps.closeLeavingGroup(app)).as("closed in time").isTrue();
            app = it.start(appId, config, stateDir);
            StreamsApps.awaitRunningWithTasks(List.of(app));
            replayMinutes(together, start, 4, 6, app);
            it.send(SlmEvents.timed(together.subList(0, 1), start.plus(Duration.ofMinutes(15)), Duration.ZERO));

            List<SlmAlert> all = alertsOf(key, start, 4);
            assertThat(all).extracting(a -> a.getMetric() + " " + a.getPreviousLevel() + "→" + a.getLevel()
                            + " @" + Duration.between(start, a.getWindowStart()).toMinutes())
                    .containsExactly(
                            "latency_p95 OK→BREACH @2",
                            "error_rate OK→BREACH @2",
                            "latency_p95 BREACH→OK @3",
                            "error_rate BREACH→OK @3");
            assertThat(all).extracting(SlmAlert::getAlertId).doesNotHaveDuplicates();
            System.out.printf("SLM alerts: %s%n", all.stream().map(SlmAlert::getMessage).toList());
        } finally {
            StreamsApps.closeLeavingGroup(app);
        }
    }

    /** Minutes {@code from} (inclusive) to {@code to} (exclusive), each sent once the previous one is in the store. */
    private void replayMinutes(List<LlmPerfRecords.Request> requests, Instant start, int from, int to, KafkaStreams app) {
        for (int minute = from; minute < to; minute++) {
            Instant windowStart = start.plus(Duration.ofMinutes(minute));
            List<LlmPerfRecords.Request> chunk = requests.subList(minute * PER_MINUTE, (minute + 1) * PER_MINUTE);
            it.send(SlmEvents.timed(chunk, windowStart, Duration.ofMillis(2_400)));
            SlmIntegration.awaitWindow(List.of(app), chunk.get(0).toSlmRequest().key(), windowStart, PER_MINUTE);
        }
    }

    private List<SlmAlert> alertsOf(String key, Instant start, int n) {
        Instant end = start.plus(Duration.ofHours(1));
        return new ArrayList<>(it.read(Topics.SLM_ALERTS, a -> key.equals(SlmRequest.key(a.getModel(), a.getProvider()))
                && !a.getWindowStart().isBefore(start) && a.getWindowStart().isBefore(end), n));
    }
}
