package io.soma.streams.stores.redis;

import io.soma.streams.avro.RulePackReply;
import io.soma.streams.devstack.EmbeddedKafkaBroker;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.serde.AvroDeserializer;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.schemas.serde.Subjects;
import io.soma.streams.schemas.serde.WireFormat;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.RedisNamespace;
import io.soma.streams.testkit.TcpProxy;
import io.soma.streams.testkit.TestPaths;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisMonitor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
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
                     namespace.prefix() + "mirror[1]:", (value, now) -> Optional.of(new RedisMirror.Mirrored(value,
                             null)), namespace.redis(), Duration.ofMillis(200), Duration.ofMillis(200))) {
            JedisPooled redis = namespace.redis();
            // a glob character in the prefix: the scan matches it literally
            String prefix = namespace.prefix() + "mirror[1]:";
            Await.until("every live key mirrored", TIMEOUT, () -> mirrored(redis, prefix, 10, KEYS));
            assertThat(redis.exists(prefix + "k-5")).as("a deleted key").isFalse();
            assertThat(mirror.latest()).hasSize(KEYS - 10);

            // 1,190 keys: each check reads them in three MGETs. Redis loses three, one changes, a deleted one comes back,
            // and so does one whose tombstone compaction dropped before this instance started
            redis.del(prefix + "k-100", prefix + "k-600", prefix + "k-1100");
            redis.set(prefix + "k-700", "changed behind the mirror's back");
            redis.set(prefix + "k-5", "restored from an old snapshot");
            redis.set(prefix + "k-never-in-the-topic", "restored from an older snapshot");
            // not the mirror's: the prefix read as a pattern would match it
            redis.set(namespace.prefix() + "mirror1:k-2000", "another's");

            Await.until("lost keys back, the changed one corrected, the deleted ones gone", TIMEOUT,
                    () -> mirrored(redis, prefix, 10, KEYS) && !redis.exists(prefix + "k-5")
                            && !redis.exists(prefix + "k-never-in-the-topic"));
            assertThat(redis.get(namespace.prefix() + "mirror1:k-2000")).isEqualTo("another's");
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
     * Another instance has mirrored a deletion that this one cannot read yet: it is held at a record written under a
     * newer schema version while the registry is cut. A held instance must not put the deleted key back.
     */
    @Test
    void shouldNotPutBackADeletedKeyWhileHeldAtARecordTheRegistryCannotResolve() throws Exception {
        LocalStack stack = LocalStack.shared();
        SchemaRegistryClient writerRegistry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        String topic = "redis-mirror-registry-it-" + UUID.randomUUID();
        // the held records on partition 0; partition 1 goes on with records the mirror can read
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(topic, 2, (short) 1));
        try (KafkaProducer<String, RulePackReply> producer = replies(stack, writerRegistry)) {
            producer.send(new ProducerRecord<>(topic, 0, "lock", new RulePackReply("request-1", "acme", "enabled", 1L)));
        }

        try (RedisNamespace namespace = RedisNamespace.create("redis_mirror_held");
             TcpProxy proxy = TcpProxy.to(URI.create(stack.schemaRegistryUrl()));
             RedisMirror<RulePackReply> mirror = new RedisMirror<>(stack.bootstrapServers(), topic,
                     new AvroDeserializer<>(RulePackReply.class,
                             new SchemaRegistryClient(SchemaRegistryConfig.oneAttempt(proxy.url()))),
                     namespace.prefix() + "mirror:",
                     (value, now) -> Optional.of(new RedisMirror.Mirrored(value.getOutcome(), null)),
                     namespace.redis(), Duration.ofMillis(200));
             KafkaProducer<String, RulePackReply> others = replies(stack, writerRegistry)) {
            JedisPooled redis = namespace.redis();
            String lock = namespace.prefix() + "mirror:lock";
            Await.until("the lock mirrored", TIMEOUT, () -> "enabled".equals(redis.get(lock)));

            proxy.cut();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topic, 0, "newer", newerSchemaVersion(writerRegistry, topic)));
                producer.send(new ProducerRecord<>(topic, 0, "lock", null));
            }
            // what an instance that read the tombstone writes
            redis.del(lock);
            // a check follows every attempt to read the held record; the other partition's records keep coming
            for (int i = 1; i <= 4; i++) {
                others.send(new ProducerRecord<>(topic, 1, "other-" + i,
                        new RulePackReply("request-other-" + i, "acme", "other", 1L))).get();
                int refusedBefore = proxy.refused();
                Await.until("the mirror tried the registry again", TIMEOUT, () -> proxy.refused() > refusedBefore);
            }
            assertThat(redis.exists(lock)).as("the deleted lock put back by a held instance").isFalse();

            proxy.restore();
            Await.until("the mirror read on once the registry answered", TIMEOUT,
                    () -> "accepted".equals(redis.get(namespace.prefix() + "mirror:newer")));
            assertThat(mirror.latest()).containsKey("newer").doesNotContainKey("lock");
            assertThat(redis.exists(lock)).isFalse();
        }
    }

    /**
     * Another instance has mirrored a deletion (a released lock) while this one is cut off from the brokers: it polls
     * nothing, so it still reads as caught up, and its copy still holds the key. It must not put the key back.
     */
    @Test
    void shouldNotPutBackADeletedKeyWhileCutOffFromTheBrokers() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(TestPaths.newWorkDir("redis-mirror-cut"), 0, Map.of());
        boolean stopped = false;
        try (RedisNamespace namespace = RedisNamespace.create("redis_mirror_cut")) {
            String topic = "redis-mirror-cut-it";
            KafkaState.createTopics(broker.bootstrapServers(), new NewTopic(topic, 1, (short) 1));
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "lock", "enabled")).get();
            }
            JedisPooled redis = namespace.redis();
            String lock = namespace.prefix() + "mirror:lock";
            try (RedisMirror<String> mirror = new RedisMirror<>(broker.bootstrapServers(), topic,
                    new StringDeserializer(), namespace.prefix() + "mirror:",
                    (value, now) -> Optional.of(new RedisMirror.Mirrored(value, null)), redis, Duration.ofMillis(200))) {
                Await.until("the lock mirrored", TIMEOUT, () -> "enabled".equals(redis.get(lock)));

                broker.close();
                stopped = true;
                // what an instance that read the release writes
                redis.del(lock);
                long deferred = mirror.checksDeferred();
                Await.until("three checks due while cut off", TIMEOUT, () -> mirror.checksDeferred() >= deferred + 3);
                assertThat(redis.exists(lock)).as("the released lock put back by a mirror cut off").isFalse();
            }
        } finally {
            // a broker left running if a wait failed would keep this test JVM alive with its threads
            if (!stopped) {
                broker.close();
            }
        }
    }

    private static KafkaProducer<String, RulePackReply> replies(LocalStack stack, SchemaRegistryClient registry) {
        return new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(registry, false, true));
    }

    /** A reply framed under a newer version of its schema (a field added), registered now for the topic. */
    private static byte[] newerSchemaVersion(SchemaRegistryClient registry, String topic) throws IOException {
        Schema current = RulePackReply.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        current.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(new Schema.Field("note", Schema.createUnion(Schema.create(Schema.Type.NULL),
                Schema.create(Schema.Type.STRING)), "added by a newer writer", Schema.Field.NULL_DEFAULT_VALUE));
        Schema newer = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        GenericData.Record reply = new GenericData.Record(newer);
        reply.put("request_id", "request-2");
        reply.put("tenant", "acme");
        reply.put("outcome", "accepted");
        reply.put("version", 2L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(WireFormat.header(registry.register(Subjects.value(topic), newer)));
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericData.Record>(newer).write(reply, encoder);
        encoder.flush();
        return out.toByteArray();
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
        String topic = KafkaState.newTopic(stack.bootstrapServers(), name, partitions);
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
