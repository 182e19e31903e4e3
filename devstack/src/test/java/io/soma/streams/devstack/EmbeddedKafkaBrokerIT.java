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

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void shouldStartOnOtherPortsWhenOneFoundFreeWasTakenMeanwhile(@TempDir Path dir) throws Exception {
        // the first port this broker is given is taken before it binds, as by a test JVM beside it
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger attempts = new AtomicInteger();
            Supplier<EmbeddedKafkaBroker.Ports> ports = () -> new EmbeddedKafkaBroker.Ports(
                    attempts.incrementAndGet() == 1 ? taken.getLocalPort() : FreePort.onLoopback(), FreePort.onLoopback());

            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, ports, 0, Map.of())) {
                assertThat(attempts.get()).isEqualTo(2);
                assertThat(broker.bootstrapServers()).isNotEqualTo("127.0.0.1:" + taken.getLocalPort());
                KafkaState.createTopics(broker.bootstrapServers(), new NewTopic("after-a-taken-port", 1, (short) 1));
            }
        }
    }

    @Test
    void shouldFailAtOnceWhenTheClientPortItWasGivenIsTaken(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dir, taken.getLocalPort(), Map.of()))
                    .hasStackTraceContaining("127.0.0.1:" + taken.getLocalPort() + ": Address already in use");
        }
    }

    /** Reads {@code topic} from the start until {@code expected} values arrived; fails with what came otherwise. */
    static List<String> readAll(String bootstrapServers, String topic, int expected) {
        return CommittedRecords.awaitValues(bootstrapServers, topic, new StringDeserializer(), new StringDeserializer(),
                v -> true, expected);
    }
}
