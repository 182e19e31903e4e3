package io.soma.streams.stores.kafka;

import io.soma.streams.avro.RulePackReply;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.serde.AvroDeserializer;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.TcpProxy;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A copy of a compacted topic says when it holds everything the topic held as it started, and never drops a record
 * because the schema registry was away, against the real broker and registry.
 */
class CompactedTopicViewIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void shouldSayItIsCaughtUpOnlyOnceItHoldsEveryRecordWrittenBeforeItStarted() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "compacted-view-it", 3);
        int keys = 3_000;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < keys; i++) {
                producer.send(new ProducerRecord<>(topic, "k-" + i, "v-" + i));
            }
            producer.flush();
        }

        try (CompactedTopicView<String, String> view = CompactedTopicView.whole(stack.bootstrapServers(), topic,
                new StringDeserializer())) {
            // the count taken as soon as it says so already holds every key written before it started
            int held = Await.value("the view caught up", TIMEOUT, () -> view.caughtUp() ? view.values().size() : -1,
                    n -> n >= 0);
            assertThat(held).isEqualTo(keys);
        }
    }

    @Test
    void shouldWaitForTheRegistryRatherThanSkipTheRecordsItCannotReadWithoutIt() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "compacted-view-registry-it", 1);
        int keys = 3;
        SchemaRegistryClient writerRegistry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        try (KafkaProducer<String, RulePackReply> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.bootstrapServers()), new StringSerializer(), new AvroSerializer<>(writerRegistry, false, true))) {
            for (int i = 0; i < keys; i++) {
                producer.send(new ProducerRecord<>(topic, "tenant-" + i,
                        new RulePackReply("request-" + i, "tenant-" + i, "accepted", (long) i)));
            }
            producer.flush();
        }

        URI registry = URI.create(stack.schemaRegistryUrl());
        try (TcpProxy proxy = TcpProxy.to(registry)) {
            proxy.cut();
            // a reader of its own, no retries inside the client: each attempt to resolve the schema is one connection
            SchemaRegistryClient readerRegistry = new SchemaRegistryClient(
                    SchemaRegistryConfig.oneAttempt(proxy.url()));
            try (CompactedTopicView<RulePackReply, RulePackReply> view = CompactedTopicView.whole(
                    stack.bootstrapServers(), topic, new AvroDeserializer<>(RulePackReply.class, readerRegistry))) {
                // more attempts than records: a follower that skipped them would have stopped trying after three
                Await.until("the view tried the registry again and again", TIMEOUT, () -> proxy.refused() > 2 * keys);
                assertThat(view.caughtUp()).isFalse();
                assertThat(view.values()).isEmpty();

                proxy.restore();
                int held = Await.value("the view caught up once the registry answered", TIMEOUT,
                        () -> view.caughtUp() ? view.values().size() : -1, n -> n >= 0);
                assertThat(held).isEqualTo(keys);
            }
        }
    }
}
