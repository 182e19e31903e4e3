package io.soma.streams.edge.slice;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A Streams app on the in-process broker whose global thread fails: the one failure no replaced thread cures. */
class RunningAppIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void shouldSayItFailedForGoodOnceItsGlobalThreadFails() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "running-app-global", 1);
        // a value the global table cannot read, as a record of a schema the registry cannot give now
        Deserializer<String> failingOnPoison = (t, bytes) -> {
            String value = new String(bytes, StandardCharsets.UTF_8);
            if (value.equals("poison")) {
                throw new IllegalStateException("cannot read " + value);
            }
            return value;
        };
        StreamsBuilder builder = new StreamsBuilder();
        builder.globalTable(topic, Consumed.with(Serdes.String(), Serdes.serdeFrom(new StringSerializer(),
                failingOnPoison)));
        StreamsSettings settings = StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(),
                TestPaths.newWorkDir("running-app"));

        try (RunningApp app = RunningApp.start("running-app-" + UUID.randomUUID(), builder.build(), settings)) {
            Await.until("the app running", TIMEOUT, () -> app.problem() == null);
            assertThat(app.failedForGood()).isNull();

            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "k", "poison")).get();
            }

            Await.until("the app failed for good", TIMEOUT, () -> app.failedForGood() != null);
            assertThat(app.failedForGood()).contains("ERROR");
        }
    }
}
