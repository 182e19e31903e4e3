package io.soma.streams.topologies.policy;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.soma.streams.avro.ConstitutionBundle;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ValueAndTimestamp;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code constitution_version_info{tenant,version,hash}} and {@code constitution_sync_timestamp_seconds{tenant}},
 * read from the policy app's global table of active constitutions at each scrape. Every instance holds that whole
 * table, so every instance exports the same series: one that restarted and resumed the app's group verifies no bundle
 * again, so counting activations as they happen would leave it without any. The timestamp is the one of the record
 * on {@code constitution.active}, which the gate keeps from the bundle's record on {@code constitution.updated}: when
 * the active constitution was published (it is activated within a commit interval of that).
 */
public final class ActiveConstitutionMetrics implements MultiCollector {
    /** Exposed as {@code constitution_version_info}: an info metric's name carries no suffix. */
    static final String VERSION = "constitution_version";
    static final String SYNC_TIMESTAMP = "constitution_sync_timestamp_seconds";
    private final KafkaStreams policyApp;

    public ActiveConstitutionMetrics(KafkaStreams policyApp) {
        this.policyApp = policyApp;
    }

    @Override
    public MetricSnapshots collect() {
        InfoSnapshot.Builder versions = InfoSnapshot.builder().name(VERSION)
                .help("The active constitution of each scope");
        GaugeSnapshot.Builder synced = GaugeSnapshot.builder().name(SYNC_TIMESTAMP)
                .help("When the active constitution of a scope was published");
        for (KeyValue<String, ValueAndTimestamp<ConstitutionBundle>> active : activeConstitutions()) {
            ConstitutionBundle bundle = active.value.value();
            versions.dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(Labels.of(
                    "tenant", active.key, "version", bundle.getVersion(), "hash", bundle.getHash())).build());
            synced.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("tenant", active.key))
                    .value(active.value.timestamp() / 1000.0).build());
        }
        return MetricSnapshots.of(versions.build(), synced.build());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(VERSION, SYNC_TIMESTAMP);
    }

    /** Every entry of the table; none while the app cannot serve it (starting, rebalancing, closed). */
    private List<KeyValue<String, ValueAndTimestamp<ConstitutionBundle>>> activeConstitutions() {
        List<KeyValue<String, ValueAndTimestamp<ConstitutionBundle>>> entries = new ArrayList<>();
        try (KeyValueIterator<String, ValueAndTimestamp<ConstitutionBundle>> all = policyApp.store(
                StoreQueryParameters.fromNameAndType(PolicyApp.ACTIVE_CONSTITUTIONS,
                        QueryableStoreTypes.<String, ConstitutionBundle>timestampedKeyValueStore())).all()) {
            all.forEachRemaining(entries::add);
        } catch (InvalidStateStoreException notServableNow) {
            // a scrape must not fail: the series are back at the next one
            return List.of();
        }
        return entries;
    }
}
