package io.soma.streams.edge.health;

import io.soma.streams.devstack.EmbeddedKafkaBroker;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaReachabilityIT {

    @Test
    void shouldBeReadyWhileTheBrokerAnswersAndNameKafkaWhenItIsGone() {
        Path dir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work"))
                .resolve("reachability-" + ProcessHandle.current().pid());
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0, Map.of());
        try (KafkaReachability kafka = new KafkaReachability(broker.bootstrapServers())) {
            assertThat(kafka.problem()).isNull();
            broker.close();
            assertThat(kafka.problem()).startsWith("Kafka does not answer");
            assertThat(kafka.name()).isEqualTo("kafka");
        }
    }
}
