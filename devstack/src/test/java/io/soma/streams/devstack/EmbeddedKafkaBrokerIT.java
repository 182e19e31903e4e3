package io.soma.streams.devstack;

import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.KafkaState;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedKafkaBrokerIT {

    @Test
    void shouldKeepRecordsAcrossARestartOnTheSameLogDir(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0, Map.of())) {
            KafkaState.createTopics(broker.bootstrapServers(), new NewTopic("kept", 1, (short) 1));
            try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", "k", "before restart")).get();
            }
        }
        // a restart picks new ports but the same log dir, and the record is still there
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0, Map.of())) {
            assertThat(readAll(broker.bootstrapServers(), "kept", 1)).containsExactly("before restart");
        }
    }

    /** Reads {@code topic} from the start until {@code expected} values arrived; fails with what came otherwise. */
    static List<String> readAll(String bootstrapServers, String topic, int expected) {
        return CommittedRecords.awaitValues(bootstrapServers, topic, new StringDeserializer(), new StringDeserializer(),
                v -> true, expected);
    }
}
