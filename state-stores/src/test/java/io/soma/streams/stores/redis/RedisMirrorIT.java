package io.soma.streams.stores.redis;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.RedisNamespace;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisMonitor;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A mirror of a real compacted topic in the real Redis puts back what Redis lost, corrects what changed there and
 * removes what the topic deleted, with more keys than one of its 500-key reads holds.
 */
class RedisMirrorIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int KEYS = 1_200;

    @Test
    void shouldRewarmCorrectAndDeleteKeysAcrossItsChunkedReads() throws Exception {
        LocalStack stack = LocalStack.shared();
        String topic = topicHolding(stack, "redis-mirror-it", 3, (producer, t) -> {
            for (int i = 0; i < KEYS; i++) {
                producer.send(new ProducerRecord<>(t, "k-" + i, "v-" + i));
            }
            // the topic deletes the first ten
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(t, "k-" + i, null));
            }
        });

        try (RedisNamespace namespace = RedisNamespace.create("redis_mirror");
             RedisMirror<String> mirror = new RedisMirror<>(stack.bootstrapServers(), topic, new StringDeserializer(),
                     namespace.prefix() + "mirror:", (value, now) -> Optional.of(new RedisMirror.Mirrored(value, null)),
                     namespace.redis(), Duration.ofMillis(200))) {
            JedisPooled redis = namespace.redis();
            String prefix = namespace.prefix() + "mirror:";
            Await.until("every live key mirrored", TIMEOUT, () -> mirrored(redis, prefix, 10, KEYS));
            assertThat(redis.exists(prefix + "k-5")).as("a deleted key").isFalse();
            assertThat(mirror.latest()).hasSize(KEYS - 10);

            // 1,190 keys: each check reads them in three MGETs. Redis loses three, one changes, a deleted one comes back
            redis.del(prefix + "k-100", prefix + "k-600", prefix + "k-1100");
            redis.set(prefix + "k-700", "changed behind the mirror's back");
            redis.set(prefix + "k-5", "restored from an old snapshot");

            Await.until("lost keys back, the changed one corrected, the deleted one gone", TIMEOUT,
                    () -> mirrored(redis, prefix, 10, KEYS) && !redis.exists(prefix + "k-5"));
            assertThat(mirror.redisFailures()).isZero();
        }
    }

    @Test
    void shouldWriteOnlyWhatTheTopicHoldsNotTheValuesItReplacedBeforeTheMirrorStarted() throws Exception {
        LocalStack stack = LocalStack.shared();
        // one partition, so the replay meets them in this order: a lock enabled then disabled, a value then the next
        String topic = topicHolding(stack, "redis-mirror-replay-it", 1, (producer, t) -> {
            producer.send(new ProducerRecord<>(t, "lock", "enabled"));
            producer.send(new ProducerRecord<>(t, "k", "v1"));
            producer.send(new ProducerRecord<>(t, "lock", null));
            producer.send(new ProducerRecord<>(t, "k", "v2"));
        });

        try (RedisNamespace namespace = RedisNamespace.create("redis_mirror_replay");
             CommandsSeen events = CommandsSeen.watch(namespace)) {
            String prefix = namespace.prefix() + "mirror:";
            try (RedisMirror<String> mirror = new RedisMirror<>(stack.bootstrapServers(), topic,
                    new StringDeserializer(), prefix, (value, now) -> Optional.of(new RedisMirror.Mirrored(value, null)),
                    namespace.redis(), Duration.ofMillis(200))) {
                Await.until("the latest value written", TIMEOUT, () -> events.writes(prefix + "k").contains("set"));
                assertThat(namespace.redis().get(prefix + "k")).isEqualTo("v2");
            }
            // a gateway reading Redis during the replay saw the disabled lock, and the old value, before the fix
            assertThat(events.writes(prefix + "lock")).as("the disabled lock never written").doesNotContain("set");
            assertThat(events.writes(prefix + "k")).as("only the latest value written").containsExactly("set");
        }
    }

    /**
     * The commands that change the namespace's keys, by key, in the order Redis ran them (set, del, ...), as Redis's
     * MONITOR shows every client's: no server setting changes, so test JVMs sharing the Redis do not meet.
     */
    private static final class CommandsSeen extends JedisMonitor implements AutoCloseable {
        /** A quoted argument of a MONITOR line: {@code 1700000000.1 [0 127.0.0.1:5555] "SET" "key" "value"}. */
        private static final Set<String> READS = Set.of("get", "mget", "exists", "ttl", "pttl");
        private static final Pattern ARGUMENT = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
        private final Map<String, List<String>> byKey = new ConcurrentHashMap<>();
        private final Jedis monitor;
        private final Thread listener;

        private CommandsSeen(RedisNamespace namespace) {
            this.monitor = new Jedis(URI.create(namespace.url()));
            this.listener = new Thread(() -> {
                try {
                    monitor.monitor(this);
                } catch (RuntimeException closed) {
                    // the connection closed under it: the watch is over
                }
            }, "redis-monitor");
            listener.setDaemon(true);
            listener.start();
            // watching once it sees a command of ours
            String probe = namespace.prefix() + "monitor-probe";
            Await.until("Redis MONITOR running", TIMEOUT, () -> {
                namespace.redis().del(probe);
                return byKey.containsKey(probe);
            });
        }

        static CommandsSeen watch(RedisNamespace namespace) {
            return new CommandsSeen(namespace);
        }

        List<String> writes(String key) {
            return List.copyOf(byKey.getOrDefault(key, List.of()));
        }

        @Override
        public void onCommand(String line) {
            Matcher arguments = ARGUMENT.matcher(line);
            if (arguments.find() && !READS.contains(arguments.group(1).toLowerCase(Locale.ROOT))) {
                String command = arguments.group(1).toLowerCase(Locale.ROOT);
                while (arguments.find()) {
                    byKey.computeIfAbsent(arguments.group(1), k -> new CopyOnWriteArrayList<>()).add(command);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            monitor.disconnect();
            listener.join(TIMEOUT.toMillis());
        }
    }

    /** A new topic of {@code partitions} partitions holding what {@code write} sends to it (given the topic). */
    private static String topicHolding(LocalStack stack, String name, int partitions,
                                       BiConsumer<KafkaProducer<String, String>, String> write) {
        String topic = name + "-" + UUID.randomUUID();
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(topic, partitions, (short) 1));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            write.accept(producer, topic);
            producer.flush();
        }
        return topic;
    }

    /** Whether Redis holds v-i under k-i for every i in [from, to). */
    private static boolean mirrored(JedisPooled redis, String prefix, int from, int to) {
        List<String> held = redis.mget(IntStream.range(from, to).mapToObj(i -> prefix + "k-" + i).toArray(String[]::new));
        return IntStream.range(from, to).allMatch(i -> ("v-" + i).equals(held.get(i - from)));
    }
}
