package io.soma.streams.stores.kafka;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower of a real topic on the real broker keeps following when the work it is given fails, and follows the
 * partitions added to its topic.
 */
class TopicFollowerIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void shouldKeepFollowingAfterItsPeriodicWorkFails() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "topic-follower-it", 1);
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicInteger idleCalls = new AtomicInteger();
        Runnable failingTwice = () -> {
            if (idleCalls.incrementAndGet() <= 2) {
                throw new IllegalStateException("periodic work failed (" + idleCalls.get() + ")");
            }
        };
        try (TopicFollower<String> follower = new TopicFollower<>(stack.bootstrapServers(), topic,
                new StringDeserializer(), TopicFollower.Start.END, r -> received.add(r.value()), failingTwice);
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            Await.until("the periodic work failed twice and ran again", TIMEOUT, () -> idleCalls.get() > 2);
            producer.send(new ProducerRecord<>(topic, "k", "after the failures")).get(TIMEOUT.toSeconds(),
                    TimeUnit.SECONDS);
            Await.until("the record read", TIMEOUT, () -> !received.isEmpty());
            assertThat(received).containsExactly("after the failures");
        }
    }

    /** A partition added after the follower started was never read: a reply or a mirror's records there were lost. */
    @Test
    void shouldFollowAPartitionAddedToItsTopic() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = KafkaState.newTopic(stack.bootstrapServers(), "topic-follower-added", 1);
        List<String> received = new CopyOnWriteArrayList<>();
        try (TopicFollower<String> follower = new TopicFollower<>(stack.bootstrapServers(), topic,
                new StringDeserializer(), TopicFollower.Start.END, r -> received.add(r.partition() + ":" + r.value()),
                () -> { }, Duration.ofSeconds(1));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get(TIMEOUT.toSeconds(),
                    TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, 1, "k", "in the added partition")).get(TIMEOUT.toSeconds(),
                    TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, 0, "k", "in the first")).get(TIMEOUT.toSeconds(),
                    TimeUnit.SECONDS);

            Await.until("both records read", TIMEOUT, () -> received.size() >= 2);
            assertThat(received).containsExactlyInAnyOrder("1:in the added partition", "0:in the first");
        }
    }
}
