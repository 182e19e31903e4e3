package io.soma.streams.schemas;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.dlq.DeadLetterLimit;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The provisioner on the real broker: what it creates, and the one thing it changes on a topic that exists. */
class TopicProvisionerIT {
    private static LocalStack stack;

    @BeforeAll
    static void start() {
        stack = LocalStack.shared();
    }

    @Test
    void shouldCreateTopicsWithTheirCleanupPolicyAndRecordLimit() throws Exception {
        String compacted = unique("provisioned.compacted");
        String limited = unique("provisioned.limited");

        TopicProvisioner.ensure(stack.bootstrapServers(), List.of(spec(compacted, true, 0),
                spec(limited, false, DeadLetterLimit.MAX_RECORD_BYTES)), 1, (short) 1);

        awaitConfig(compacted, TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        awaitConfig(limited, TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
        awaitConfig(limited, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(DeadLetterLimit.MAX_RECORD_BYTES));
    }

    @Test
    void shouldRaiseALowerRecordLimitOfAnExistingTopicAndLeaveAHigherOne() throws Exception {
        String lower = unique("provisioned.lower");
        String higher = unique("provisioned.higher");
        KafkaState.createTopics(stack.bootstrapServers(),
                new NewTopic(lower, 1, (short) 1).configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1000000")),
                new NewTopic(higher, 1, (short) 1).configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "8388608")));
        awaitConfig(lower, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1000000");
        awaitConfig(higher, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "8388608");

        TopicProvisioner.ensure(stack.bootstrapServers(), List.of(spec(lower, false, DeadLetterLimit.MAX_RECORD_BYTES),
                spec(higher, false, DeadLetterLimit.MAX_RECORD_BYTES)), 1, (short) 1);

        awaitConfig(lower, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(DeadLetterLimit.MAX_RECORD_BYTES));
        // the higher limit is not lowered, and stays so once the change above is visible
        assertThat(config(higher, TopicConfig.MAX_MESSAGE_BYTES_CONFIG)).isEqualTo("8388608");
    }

    @Test
    void shouldRefuseAnExistingTopicWhoseCleanupPolicyWouldLoseDataAndLeaveItAsItIs() throws Exception {
        String deleting = unique("provisioned.deleting");
        String compacting = unique("provisioned.compacting");
        // as a broker's auto-creation or a hand would make them before the process first ran
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(deleting, 1, (short) 1),
                new NewTopic(compacting, 1, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT)));
        awaitConfig(deleting, TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
        awaitConfig(compacting, TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

        assertThatThrownBy(() -> TopicProvisioner.ensure(stack.bootstrapServers(),
                List.of(spec(deleting, true, 0), spec(compacting, false, 0)), 1, (short) 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(deleting + " has cleanup.policy=delete where it needs compact")
                .hasMessageContaining(compacting + " has cleanup.policy=compact where it needs delete");
        assertThat(config(deleting, TopicConfig.CLEANUP_POLICY_CONFIG)).isEqualTo(TopicConfig.CLEANUP_POLICY_DELETE);
        // as their specs have them: nothing to say
        TopicProvisioner.ensure(stack.bootstrapServers(), List.of(spec(deleting, false, 0), spec(compacting, true, 0)),
                1, (short) 1);
    }

    /** compact,delete drops a key's latest value too once older than the retention: a constitution, a budget. */
    @Test
    void shouldRefuseACompactedTopicThatAlsoDeletesUnlessItKeepsForever() throws Exception {
        String expiring = unique("provisioned.expiring");
        String bounded = unique("provisioned.bounded");
        String forever = unique("provisioned.forever");
        KafkaState.createTopics(stack.bootstrapServers(),
                new NewTopic(expiring, 1, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete")),
                new NewTopic(bounded, 1, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete",
                        TopicConfig.RETENTION_MS_CONFIG, "-1", TopicConfig.RETENTION_BYTES_CONFIG, "1048576")),
                new NewTopic(forever, 1, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete",
                        TopicConfig.RETENTION_MS_CONFIG, "-1")));
        awaitConfig(expiring, TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete");
        awaitConfig(bounded, TopicConfig.RETENTION_BYTES_CONFIG, "1048576");
        awaitConfig(forever, TopicConfig.RETENTION_MS_CONFIG, "-1");

        assertThatThrownBy(() -> TopicProvisioner.ensure(stack.bootstrapServers(),
                List.of(spec(expiring, true, 0), spec(bounded, true, 0)), 1, (short) 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(expiring + " has cleanup.policy=compact,delete where it needs compact")
                .hasMessageContaining(bounded + " has cleanup.policy=compact,delete where it needs compact");
        TopicProvisioner.ensure(stack.bootstrapServers(), List.of(spec(forever, true, 0)), 1, (short) 1);
    }

    @Test
    void shouldReturnOnlyOnceEveryPartitionTakesWrites() throws Exception {
        String topic = unique("provisioned.served");
        int partitions = 48;

        TopicProvisioner.ensure(stack.bootstrapServers(), List.of(spec(topic, false, 0)), partitions, (short) 1);

        // without retries, a record sent to a partition its leader has not opened yet fails at once
        // (NOT_LEADER_OR_FOLLOWER); an idempotent producer retrying it could lose records (KAFKA-14359)
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.RETRIES_CONFIG, 0), new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int partition = 0; partition < partitions; partition++) {
                sent.add(producer.send(new ProducerRecord<>(topic, partition, "key", "value")));
            }
            for (Future<RecordMetadata> write : sent) {
                assertThat(write.get(30, TimeUnit.SECONDS).offset()).isZero();
            }
        }
    }

    private static TopicProvisioner.TopicSpec spec(String name, boolean compacted, int maxMessageBytes) {
        return new TopicProvisioner.TopicSpec() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean compacted() {
                return compacted;
            }

            @Override
            public int maxMessageBytes() {
                return maxMessageBytes;
            }
        };
    }

    /** A broker answers a topic's configs once its metadata has them: asked at once, it may not yet. */
    private static void awaitConfig(String topic, String name, String expected) {
        Await.value(topic + " " + name + "=" + expected, Duration.ofSeconds(30), () -> {
            try {
                return config(topic, name);
            } catch (Exception e) {
                return "unreadable: " + e.getMessage();
            }
        }, expected::equals);
    }

    private static String config(String topic, String name) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                    .get(name).value();
        }
    }

    private static String unique(String prefix) {
        return prefix + "." + UUID.randomUUID();
    }
}
