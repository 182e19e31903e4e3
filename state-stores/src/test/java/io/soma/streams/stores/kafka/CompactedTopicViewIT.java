package io.soma.streams.stores.kafka;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A copy of a compacted topic says when it holds everything the topic held as it started, against the real broker. */
class CompactedTopicViewIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void shouldSayItIsCaughtUpOnlyOnceItHoldsEveryRecordWrittenBeforeItStarted() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = "compacted-view-it-" + UUID.randomUUID();
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(topic, 3, (short) 1));
        int keys = 3_000;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < keys; i++) {
                producer.send(new ProducerRecord<>(topic, "k-" + i, "v-" + i));
            }
            producer.flush();
        }

        try (CompactedTopicView<String> view = new CompactedTopicView<>(stack.bootstrapServers(), topic,
                new StringDeserializer())) {
            // the count taken as soon as it says so already holds every key written before it started
            int held = Await.value("the view caught up", TIMEOUT, () -> view.caughtUp() ? view.values().size() : -1,
                    n -> n >= 0);
            assertThat(held).isEqualTo(keys);
        }
    }
}
