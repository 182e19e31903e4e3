package io.soma.streams.edge.slice;

import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.edge.forecast.ForecastSlice;
import io.soma.streams.edge.training.TrainingSlice;
import io.soma.streams.testkit.Await;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.training.TrainingApp;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A stop (SIGTERM, Ctrl-C) that comes while the process is still starting, through the real broker, registry, Redis
 * and PostgreSQL. Before, the shutdown hook was added once the start had ended: the apps started so far were halted
 * with the JVM, unclosed, and their state restored at the next start.
 */
class StopWhileStartingIT {

    @Test
    void shouldCloseTheAppsItStartedAndStartNoMoreWhenStoppedWhileStarting() {
        StopSignal stop = StopSignal.manual();
        AtomicReference<Platform> platform = new AtomicReference<>();
        List<Slice.Starter> composition = List.of(
                IdentitySlice::start,
                (started, slices) -> {
                    platform.set(started);
                    Slice training = TrainingSlice.start(started, slices);
                    // what the shutdown hook does on SIGTERM, here while the training app starts
                    stop.request();
                    return training;
                },
                ForecastSlice::start);

        // a start that wrongly went on is closed at once: its apps would share this JVM's groups with later tests
        Throwable stopped = catchThrowable(() -> {
            try (EdgeFixture started = EdgeFixture.withSlices(composition, Map.of(), stop)) {
                started.config();
            }
        });

        assertThat(stopped).isInstanceOf(StopSignal.StoppedWhileStarting.class)
                .hasMessage("stopped while starting, before slice 3 of 3");
        Map<String, KafkaStreams> apps = platform.get().apps();
        assertThat(apps).containsKey(TrainingApp.APPLICATION_ID).doesNotContainKey(ForecastApp.APPLICATION_ID);
        // closed, not left running; a close on a loaded machine may still be ending when the start gives up on it
        Await.until("the training app closed", Duration.ofSeconds(60),
                () -> apps.get(TrainingApp.APPLICATION_ID).state() == KafkaStreams.State.NOT_RUNNING);
    }
}
