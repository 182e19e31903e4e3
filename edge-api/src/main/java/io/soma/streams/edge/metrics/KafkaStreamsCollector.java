package io.soma.streams.edge.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kafka Streams' own metrics (and those of its embedded clients) as Prometheus gauges, read at scrape
 * time: {@code kafka_streams_<group>_<name>{app, <tags>}}. Non-numeric metrics are skipped.
 */
public final class KafkaStreamsCollector implements MultiCollector {
    private final Map<String, KafkaStreams> apps;

    /** @param apps application id → its running KafkaStreams */
    public KafkaStreamsCollector(Map<String, KafkaStreams> apps) {
        this.apps = Map.copyOf(apps);
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> byName = new TreeMap<>();
        Map<String, List<Labels>> seen = new TreeMap<>();
        apps.forEach((appId, streams) -> {
            for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
                Object value = e.getValue().metricValue();
                if (!(value instanceof Number number) || Double.isNaN(number.doubleValue())) {
                    continue;
                }
                MetricName m = e.getKey();
                String name = PrometheusNaming.sanitizeMetricName("kafka_streams_" + m.group() + "_" + m.name());
                Labels labels = Labels.of("app", appId);
                for (var tag : new TreeMap<>(m.tags()).entrySet()) {
                    labels = labels.add(PrometheusNaming.sanitizeLabelName(tag.getKey()), tag.getValue());
                }
                // the same metric can be registered by two clients with identical tags: keep the first
                List<Labels> labelsOfName = seen.computeIfAbsent(name, n -> new ArrayList<>());
                if (labelsOfName.contains(labels)) {
                    continue;
                }
                labelsOfName.add(labels);
                byName.computeIfAbsent(name, n -> GaugeSnapshot.builder().name(n).help(m.description()))
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                                .value(number.doubleValue()).labels(labels).build());
            }
        });
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        byName.values().forEach(b -> out.metricSnapshot(b.build()));
        return out.build();
    }
}
