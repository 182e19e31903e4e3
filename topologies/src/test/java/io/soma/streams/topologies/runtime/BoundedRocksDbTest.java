package io.soma.streams.topologies.runtime;

import io.soma.streams.testkit.TestPaths;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class BoundedRocksDbTest {
    private static final int MIB = 1024 * 1024;

    /** Two apps of one process, a key-value and a window store: every store reports the one shared cache. */
    @Test
    void shouldGiveEveryStoreOfTheProcessTheOneSharedCache() {
        Path state = TestPaths.newWorkDir("bounded-rocksdb");
        StreamsSettings process = new StreamsSettings("127.0.0.1:9", "http://127.0.0.1:9", state, "exactly_once_v2",
                0, 100, 1, null, Map.of(), Map.of(), 64);

        Map<String, Double> capacities = new TreeMap<>();
        capacities.putAll(blockCacheCapacities(process.forApp("bounded-counts"), false));
        capacities.putAll(blockCacheCapacities(process.forApp("bounded-windows"), true));

        // the first budgeted store of the JVM sizes the one cache: 64 MiB unless a test before this one opened one
        assertThat(BoundedRocksDb.budgetBytes()).isPositive();
        assertThat(capacities).hasSizeGreaterThanOrEqualTo(2).allSatisfy((store, capacity) ->
                assertThat(capacity).as(store).isEqualTo((double) BoundedRocksDb.budgetBytes()));
        assertThat(BoundedRocksDb.budgetBytes()).isNotEqualTo(50L * MIB);
    }

    @Test
    void shouldLeaveEachStoreItsOwnCacheWhenNoBudgetIsSet() {
        StreamsSettings process = new StreamsSettings("127.0.0.1:9", "http://127.0.0.1:9",
                TestPaths.newWorkDir("unbounded-rocksdb"), "exactly_once_v2", 0, 100, 1, null, Map.of(), Map.of(), 0);

        Properties app = process.forApp("unbounded-counts");
        assertThat(app).doesNotContainKey(BoundedRocksDb.MEMORY_BYTES_CONFIG);
        // Kafka Streams' own default: 50 MB for each store
        assertThat(blockCacheCapacities(app, false)).isNotEmpty().allSatisfy((store, capacity) ->
                assertThat(capacity).as(store).isEqualTo(50.0 * MIB));
    }

    /** Each RocksDB store's {@code block-cache-capacity} once a record went through the app's store. */
    private static Map<String, Double> blockCacheCapacities(Properties app, boolean windowed) {
        StreamsBuilder builder = new StreamsBuilder();
        var grouped = builder.stream("in", Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
        if (windowed) {
            grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(1))).count(Materialized.as("windows"));
        } else {
            grouped.count(Materialized.as("counts"));
        }
        Map<String, Double> capacities = new TreeMap<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), app)) {
            driver.createInputTopic("in", Serdes.String().serializer(), Serdes.String().serializer())
                    .pipeInput("k", "v");
            driver.metrics().forEach((name, metric) -> {
                if (name.name().equals("block-cache-capacity")) {
                    capacities.put(app.get("application.id") + "/" + name.tags(),
                            ((Number) metric.metricValue()).doubleValue());
                }
            });
        }
        return capacities;
    }
}
