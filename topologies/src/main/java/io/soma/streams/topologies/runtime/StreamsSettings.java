package io.soma.streams.topologies.runtime;

import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DeadLetterLimit;
import io.soma.streams.schemas.dlq.DeadLetterQueueHandler;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What every Streams app of this process shares: where Kafka and the registry are, where state lives,
 * the processing guarantee, and this instance's edge address for interactive queries.
 *
 * @param commitIntervalMsByApp an app's own commit interval, by application id, in place of {@code commitIntervalMs}
 * @param producerBatchBytesByApp an app's own producer {@code batch.size}, by application id, in place of Kafka's
 * @param rocksDbMemoryMib the memory every RocksDB store of the process shares ({@link BoundedRocksDb}); 0 leaves each
 *                         store RocksDB's own defaults
 */
public record StreamsSettings(
        String bootstrapServers,
        String schemaRegistryUrl,
        Path stateDir,
        String processingGuarantee,
        int standbyReplicas,
        int commitIntervalMs,
        int streamThreads,
        String applicationServer,
        Map<String, Integer> commitIntervalMsByApp,
        Map<String, Integer> producerBatchBytesByApp,
        int rocksDbMemoryMib) {

    /** The setting whose suffix is an application id: {@code streams.commit.interval.ms.soma-budget=10}. */
    public static final String COMMIT_INTERVAL_BY_APP_PREFIX = "streams.commit.interval.ms";
    /** The setting whose suffix is an application id: {@code streams.producer.batch.size.soma-forecast=524288}. */
    public static final String PRODUCER_BATCH_SIZE_BY_APP_PREFIX = "streams.producer.batch.size";

    public StreamsSettings {
        if (rocksDbMemoryMib < 0) {
            throw new Settings.ConfigException("streams.rocksdb.memory.mb must be 0 (RocksDB's defaults per store) or "
                    + "more, got " + rocksDbMemoryMib);
        }
        commitIntervalMsByApp = Map.copyOf(commitIntervalMsByApp);
        producerBatchBytesByApp = Map.copyOf(producerBatchBytesByApp);
    }

    /** Settings for tests and the embedded stack: exactly-once v2, fast commits, one thread. */
    public static StreamsSettings local(String bootstrapServers, String schemaRegistryUrl, Path stateDir) {
        return new StreamsSettings(bootstrapServers, schemaRegistryUrl, stateDir,
                StreamsConfig.EXACTLY_ONCE_V2, 0, 100, 1, null, Map.of(), Map.of(), 0);
    }

    /**
     * The per-app commit intervals set in {@code settings} ({@value #COMMIT_INTERVAL_BY_APP_PREFIX}.&lt;application
     * id&gt;, in ms); an empty value leaves that app on the process-wide one.
     */
    public static Map<String, Integer> commitIntervalsByApp(Settings settings) {
        return positiveIntegersByApp(settings, COMMIT_INTERVAL_BY_APP_PREFIX);
    }

    /**
     * The per-app producer batch sizes set in {@code settings} ({@value #PRODUCER_BATCH_SIZE_BY_APP_PREFIX}.&lt;application
     * id&gt;, in bytes); an empty value leaves that app on Kafka's default.
     */
    public static Map<String, Integer> producerBatchSizesByApp(Settings settings) {
        return positiveIntegersByApp(settings, PRODUCER_BATCH_SIZE_BY_APP_PREFIX);
    }

    private static Map<String, Integer> positiveIntegersByApp(Settings settings, String prefix) {
        Map<String, Integer> byApp = new TreeMap<>();
        settings.withPrefix(prefix).forEach((applicationId, value) -> {
            if (value.isEmpty()) {
                return;
            }
            byApp.put(applicationId, settings.integerAtLeast(prefix + "." + applicationId, 1));
        });
        return byApp;
    }

    public StreamsSettings withApplicationServer(String hostPort) {
        return new StreamsSettings(bootstrapServers, schemaRegistryUrl, stateDir, processingGuarantee,
                standbyReplicas, commitIntervalMs, streamThreads, hostPort, commitIntervalMsByApp, producerBatchBytesByApp,
                rocksDbMemoryMib);
    }

    public Properties forApp(String applicationId) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs(applicationId));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put("schema.registry.url", schemaRegistryUrl);
        // poison records go to soma.dlq with the reason; the app keeps going
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        // and so does a record a processor throws on, instead of failing the thread on it again and again
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        // and a record whose output cannot be serialized
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.DEAD_LETTER);
        // a dead letter may be larger than the brokers' default limit: its topic takes it, so the producer must send it
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), DeadLetterLimit.MAX_RECORD_BYTES);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        if (producerBatchBytesByApp.containsKey(applicationId)) {
            p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), producerBatchBytesByApp.get(applicationId));
        }
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        if (rocksDbMemoryMib > 0) {
            p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDb.class);
            p.put(BoundedRocksDb.MEMORY_BYTES_CONFIG, rocksDbMemoryMib * 1024L * 1024L);
        }
        return p;
    }

    /** The commit interval {@code applicationId} runs with: its own if set, else the process-wide one. */
    public int commitIntervalMs(String applicationId) {
        return commitIntervalMsByApp.getOrDefault(applicationId, commitIntervalMs);
    }
}
