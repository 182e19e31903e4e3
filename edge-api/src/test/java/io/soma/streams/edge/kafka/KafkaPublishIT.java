package io.soma.streams.edge.kafka;

import io.soma.streams.schemas.serde.Subjects;
import io.soma.streams.schemas.serde.CompatibilityLevel;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TrainingAction;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.runtime.AppSerdes;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a request that publishes gets from a real broker: acknowledged, refused, not acknowledged in time, and, once
 * the broker has gone, given up in its batch or failed before it could be sent.
 */
class KafkaPublishIT {
    /** What the held record is given to be acknowledged, and a producer without a broker to take the last one. */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** What everything else is given: a broker that just started may answer its first requests slowly. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Map<String, Object> IDS = Map.of("event_id", "e-1");

    /**
     * A record's first send serializes it with the registry's id for its schema: with the registry unreachable that
     * is the platform not being ready, and the answer must not name the registry's address.
     */
    @Test
    void shouldAnswer503NamingNoAddressWhenTheRegistryCannotBeReached() {
        String unreachable = "http://127.0.0.1:1";
        AppSerdes serdes = new AppSerdes(new SchemaRegistryClient(SchemaRegistryConfig.oneAttempt(unreachable)));
        String bootstrap = LocalStack.shared().bootstrapServers();
        String topic = KafkaState.newTopic(bootstrap, "publish-unregistered", 1);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), serdes.value(Topics.TRAINING_COMMANDS).serializer())) {
            TrainingCommand command = command("c-1");

            ApiException refused = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(producer,
                    new ProducerRecord<>(topic, "acme", command), PATIENCE, "the command", IDS));

            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.getMessage()).contains("schema registry").doesNotContain("127.0.0.1", ":1/");
            assertThat(((KafkaPublish.NotTaken) refused).mayStillArrive()).isFalse();
        }
    }

    /**
     * A record the registry refuses for good (its subject's rules forbid the schema) is a 500: its answer names
     * neither the registry's address nor the subject, which were in the serializer's message.
     */
    @Test
    void shouldAnswer500NamingNoAddressWhenTheRegistryRefusesTheSchema() {
        LocalStack stack = LocalStack.shared();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "publish-refused", 1);
        // the subject holds another record under BACKWARD: a TrainingCommand cannot read it
        registry.register(Subjects.value(topic), ConversationEvent.getClassSchema());
        registry.setCompatibility(Subjects.value(topic), CompatibilityLevel.BACKWARD);
        AppSerdes serdes = new AppSerdes(registry);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), serdes.value(Topics.TRAINING_COMMANDS).serializer())) {
            TrainingCommand command = command("c-2");

            ApiException refused = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(producer,
                    new ProducerRecord<>(topic, "acme", command), PATIENCE, "the command", IDS));

            assertThat(refused.status()).isEqualTo(500);
            assertThat(refused.getMessage()).startsWith("Kafka did not take the command")
                    .doesNotContain("127.0.0.1", stack.schemaRegistryUrl(), topic + "-value");
        }
    }

    @Test
    void shouldAnswerWhyKafkaDidNotTakeOrAcknowledgeTheRecord() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(TestPaths.newWorkDir("publish"), 0, Map.of());
        boolean brokerUp = true;
        var producer = producer(broker, 0, PATIENCE);
        // holds each record for a minute before sending it: an acknowledgement that does not come in time
        var slowProducer = producer(broker, 60_000, PATIENCE);
        var impatientProducer = producer(broker, 0, TIMEOUT);
        // gives a batch up soon when its broker has gone; keeps what it knew of the topic (Kafka 4 would otherwise
        // forget it and wait for metadata, failing before the record is ever in a batch)
        var expiringProducer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 1_500),
                new StringSerializer(), new StringSerializer());
        try {
            KafkaState.createTopics(broker.bootstrapServers(), new NewTopic("publish-it", 1, (short) 1));
            long offset = KafkaPublish.acknowledged(producer, new ProducerRecord<>("publish-it", "k", "fits"),
                    PATIENCE, "the first record", IDS).offset();
            ApiException tooLarge = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(producer,
                    new ProducerRecord<>("publish-it", "k", "x".repeat(1_100_000)), PATIENCE, "the large record", IDS));
            // the topic's metadata first, so that only the acknowledgement can be late
            slowProducer.partitionsFor("publish-it");
            ApiException unacknowledged = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(
                    slowProducer, new ProducerRecord<>("publish-it", "k", "v"), TIMEOUT, "the held record", IDS));
            expiringProducer.partitionsFor("publish-it");
            broker.close();
            brokerUp = false;
            ApiException gone = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(
                    impatientProducer, new ProducerRecord<>("publish-it-unseen", "k", "v"), TIMEOUT, "the last record",
                    IDS));
            ApiException expired = catchThrowableOfType(ApiException.class, () -> KafkaPublish.acknowledged(
                    expiringProducer, new ProducerRecord<>("publish-it", "k", "v"), PATIENCE, "the expired record",
                    IDS));

            assertThat(offset).isZero();
            assertThat(tooLarge.status()).isEqualTo(413);
            assertThat(tooLarge.getMessage()).startsWith("Kafka did not take the large record: ");
            assertThat(unacknowledged.status()).isEqualTo(503);
            assertThat(unacknowledged.getMessage())
                    .startsWith("Kafka did not acknowledge the held record within 2000 ms")
                    .contains("check before you retry");
            assertThat(gone.status()).isEqualTo(503);
            assertThat(gone.getMessage()).startsWith("Kafka did not take the last record: ");
            // no metadata for its topic: the record never left the producer
            assertThat(((KafkaPublish.NotTaken) gone).mayStillArrive()).isFalse();
            // a batch the producer gave up on may have been appended (not this one, but a producer cannot tell a
            // broker that never got it from an acknowledgement lost on the way): whoever holds something keeps it
            assertThat(expired.status()).isEqualTo(503);
            assertThat(expired.getMessage()).startsWith("Kafka did not take the expired record: ")
                    .contains("check before you retry");
            assertThat(((KafkaPublish.NotTaken) expired).mayStillArrive()).isTrue();
            assertThat(((KafkaPublish.NotTaken) unacknowledged).mayStillArrive()).isTrue();
            assertThat(List.of(tooLarge, unacknowledged, gone, expired))
                    .allSatisfy(e -> assertThat(e.details()).isEqualTo(IDS));
        } finally {
            // without a timeout, close would wait out delivery.timeout.ms for the records the dead broker never took
            producer.close(Duration.ZERO);
            slowProducer.close(Duration.ZERO);
            impatientProducer.close(Duration.ZERO);
            expiringProducer.close(Duration.ZERO);
            if (brokerUp) {
                broker.close();
            }
        }
    }

    private static TrainingCommand command(String id) {
        return TrainingCommand.newBuilder().setCommandId(id).setTenant("acme").setAction(TrainingAction.ENABLE)
                .setUser("ada").setCapabilities(List.of()).setRequestedAt(Instant.now()).build();
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker broker, int lingerMs, Duration maxBlock) {
        return new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, lingerMs,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis()),
                new StringSerializer(), new StringSerializer());
    }
}
