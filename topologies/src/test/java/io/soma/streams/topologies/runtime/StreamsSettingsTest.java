package io.soma.streams.topologies.runtime;

import io.soma.streams.topologies.budget.BudgetApp;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.policy.PolicyApp;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamsSettingsTest {

    @Test
    void shouldCommitTheBudgetAppMoreOftenThanTheOthersByDefault() {
        StreamsSettings streams = process(Settings.load(null, Map.of()));

        assertThat(streams.forApp(BudgetApp.APPLICATION_ID).get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(10);
        assertThat(streams.forApp(PolicyApp.APPLICATION_ID).get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(100);
    }

    @Test
    void shouldTakeAnAppsCommitIntervalFromTheEnvironment() {
        StreamsSettings streams = process(Settings.load(null, Map.of(
                "SOMA_STREAMS_COMMIT_INTERVAL_MS_SOMA_POLICY", "40",
                "SOMA_STREAMS_COMMIT_INTERVAL_MS_SOMA_BUDGET", "")));

        assertThat(streams.commitIntervalMs(PolicyApp.APPLICATION_ID)).isEqualTo(40);
        assertThat(streams.commitIntervalMs(BudgetApp.APPLICATION_ID)).as("empty: the process-wide interval")
                .isEqualTo(100);
    }

    @Test
    void shouldRefuseACommitIntervalBelowOneMillisecondNamingTheSetting() {
        Settings settings = Settings.of(Map.of("streams.commit.interval.ms.soma-budget", "0"));

        assertThatThrownBy(() -> StreamsSettings.commitIntervalsByApp(settings))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("streams.commit.interval.ms.soma-budget must be at least 1");
    }

    @Test
    void shouldBatchTheForecastAppsLargeStateRecordsByDefaultAndLeaveTheOthersOnKafkasBatchSize() {
        StreamsSettings streams = process(Settings.load(null, Map.of()));
        String batchSize = StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG);

        assertThat(streams.forApp(ForecastApp.APPLICATION_ID).get(batchSize)).isEqualTo(524_288);
        assertThat(streams.forApp(PolicyApp.APPLICATION_ID)).doesNotContainKey(batchSize);
    }

    @Test
    void shouldRefuseAProducerBatchSizeBelowOneByteNamingTheSetting() {
        Settings settings = Settings.of(Map.of("streams.producer.batch.size.soma-forecast", "0"));

        assertThatThrownBy(() -> StreamsSettings.producerBatchSizesByApp(settings))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("streams.producer.batch.size.soma-forecast must be at least 1");
    }

    private static StreamsSettings process(Settings settings) {
        return new StreamsSettings("127.0.0.1:9", "http://127.0.0.1:9", Path.of("state"),
                StreamsConfig.EXACTLY_ONCE_V2, 0, settings.integer("streams.commit.interval.ms"), 1, null,
                StreamsSettings.commitIntervalsByApp(settings), StreamsSettings.producerBatchSizesByApp(settings), 0);
    }
}
