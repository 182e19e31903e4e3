package io.soma.streams.topologies.runtime;

import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DeadLetterQueueHandler;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.Properties;

/**
 * What every Streams app of this process shares: where Kafka and the registry are, where state lives,
 * the processing guarantee, and this instance's edge address for interactive queries.
 */
public record StreamsSettings(
        String bootstrapServers,
        String schemaRegistryUrl,
        Path stateDir,
        String processingGuarantee,
        int standbyReplicas,
        int commitIntervalMs,
        int streamThreads,
        String applicationServer) {

    /** Settings for tests and the embedded stack: exactly-once v2, fast commits, one thread. */
    public static StreamsSettings local(String bootstrapServers, String schemaRegistryUrl, Path stateDir) {
        return new StreamsSettings(bootstrapServers, schemaRegistryUrl, stateDir,
                StreamsConfig.EXACTLY_ONCE_V2, 0, 100, 1, null);
    }

    public StreamsSettings withApplicationServer(String hostPort) {
        return new StreamsSettings(bootstrapServers, schemaRegistryUrl, stateDir, processingGuarantee,
                standbyReplicas, commitIntervalMs, streamThreads, hostPort);
    }

    public Properties forApp(String applicationId) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put("schema.registry.url", schemaRegistryUrl);
        // poison records go to soma.dlq with the reason; the app keeps going
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        // and so does a record a processor throws on, instead of failing the thread on it again and again
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterQueueHandler.class);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.DEAD_LETTER);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        return p;
    }
}
