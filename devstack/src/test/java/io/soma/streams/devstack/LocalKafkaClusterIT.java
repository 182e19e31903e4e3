package io.soma.streams.devstack;

import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.TestPaths;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static io.soma.streams.devstack.EmbeddedKafkaBrokerIT.readAll;
import static org.assertj.core.api.Assertions.assertThat;

class LocalKafkaClusterIT {

    @Test
    void shouldKeepAcceptingWritesWithOneNodeKilledAndTakeItBack() throws Exception {
        Path dir = TestPaths.newWorkDir("cluster");
        try (LocalKafkaCluster cluster = LocalKafkaCluster.start(dir, 3, Map.of())) {
            KafkaState.createTopics(cluster.bootstrapServers(), new NewTopic("replicated", 1, (short) 3));
            try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("replicated", "k", "three nodes")).get();
                cluster.kill(1);
                // min ISR 2 of 3: acks=all writes go on with one node down
                producer.send(new ProducerRecord<>("replicated", "k", "two nodes")).get();
                cluster.restart(1);
                producer.send(new ProducerRecord<>("replicated", "k", "back to three")).get();
            }
            assertThat(cluster.pid(1)).isPositive();
            assertThat(readAll(cluster.bootstrapServers(), "replicated", 3))
                    .containsExactly("three nodes", "two nodes", "back to three");
        }
    }
}
