package io.soma.streams.edge.kafka;

import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.edge.http.ApiException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What a request that publishes gets from a real broker: acknowledged, refused, not acknowledged in time, gone. */
class KafkaPublishIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @Test
    void shouldAnswerNotReadyWheneverKafkaDoesNotTakeOrAcknowledgeTheRecord() throws Exception {
        Path dir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work"))
                .resolve("publish-" + ProcessHandle.current().pid());
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0, Map.of());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("publish-it", 1, (short) 1))).all().get();
        }
        var producer = producer(broker, 0);
        // holds each record for a minute before sending it: an acknowledgement that does not come in time
        var slowProducer = producer(broker, 60_000);
        try {
            long offset = KafkaPublish.acknowledged(producer, new ProducerRecord<>("publish-it", "k", "fits"),
                    TIMEOUT, "the first record").offset();
            ApiException refused = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(producer,
                    new ProducerRecord<>("publish-it", "k", "x".repeat(1_100_000)), TIMEOUT, "the large record"));
            ApiException unacknowledged = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(
                    slowProducer, new ProducerRecord<>("publish-it", "k", "v"), TIMEOUT, "the held record"));
            broker.close();
            ApiException gone = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(
                    producer, new ProducerRecord<>("publish-it-unseen", "k", "v"), TIMEOUT, "the last record"));

            assertThat(offset).isZero();
            assertThat(List.of(refused, unacknowledged, gone)).extracting(ApiException::status).containsOnly(503);
            assertThat(refused.getMessage()).startsWith("Kafka did not take the large record: ");
            assertThat(unacknowledged.getMessage())
                    .startsWith("Kafka did not acknowledge the held record within 2000 ms")
                    .contains("check before you retry");
            assertThat(gone.getMessage()).startsWith("Kafka did not take the last record: ");
        } finally {
            // without a timeout, close would wait out delivery.timeout.ms for the records the dead broker never took
            producer.close(Duration.ZERO);
            slowProducer.close(Duration.ZERO);
        }
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker broker, int lingerMs) {
        return new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, lingerMs,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis()),
                new StringSerializer(), new StringSerializer());
    }
}
