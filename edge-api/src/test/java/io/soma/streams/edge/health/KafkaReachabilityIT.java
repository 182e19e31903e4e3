package io.soma.streams.edge.health;

import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaReachabilityIT {

    @Test
    void shouldBeReadyWhileTheBrokerAnswersAndNameKafkaWhenItIsGone() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(TestPaths.newWorkDir("reachability"), 0, Map.of());
        boolean stopped = false;
        try (KafkaReachability kafka = new KafkaReachability(broker.bootstrapServers())) {
            // a broker that just started may take longer than one check's timeout to answer its first request
            Await.until("the new broker to answer the check", Duration.ofSeconds(60), () -> kafka.problem() == null);
            broker.close();
            stopped = true;
            assertThat(kafka.problem()).startsWith("Kafka does not answer");
            assertThat(kafka.name()).isEqualTo("kafka");
        } finally {
            // a broker left running if the wait failed would keep this test JVM alive with its threads
            if (!stopped) {
                broker.close();
            }
        }
    }
}
