package io.soma.streams.bench;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

import static io.soma.streams.bench.BenchOutput.log;

/**
 * The policy app end to end on the real local broker and registry, in one run:
 * <ol>
 *   <li>the replay of the real datasets (Azure trace, XSTest, LLMPerf), repeated with new ids, pre-produced to
 *       {@code conversation.events};</li>
 *   <li>(a) a plain transactional byte copy of those records ({@link TransactionalCopy}) and (b) the policy app with
 *       exactly-once v2 over the same records, each until all its output is visible to a read_committed reader;</li>
 *   <li>(c) event-to-decision latency: events paced at a fixed rate, each timed from its scheduled send moment to
 *       the moment its decision is visible to a read_committed reader.</li>
 * </ol>
 * Settings (system properties): {@code soma.data.dir} (../shared/data), {@code bench.repeats} (4),
 * {@code bench.latency.rate} (5000 events/s), {@code bench.latency.seconds} (20),
 * {@code bench.work.dir} (bench/target/pipeline-bench; every run takes a fresh broker under it).
 */
public final class PolicyPipelineBenchmark {
    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(5);
    private static final String COPY_TOPIC = "bench.copy";

    private PolicyPipelineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(System.getProperty("soma.data.dir", "../shared/data"));
        int repeats = Integer.getInteger("bench.repeats", 4);
        int rate = Integer.getInteger("bench.latency.rate", 5000);
        int latencySeconds = Integer.getInteger("bench.latency.seconds", 20);
        Path workDir = Path.of(System.getProperty("bench.work.dir", "bench/target/pipeline-bench"))
                .resolve("run-" + System.currentTimeMillis());

        List<ConversationEvent> replay = ReplayPlan.build(dataDir, Instant.now()).stream()
                .map(ReplayPlan.Scheduled::event).toList();
        log("replay plan: %,d real events; producing %d passes", replay.size(), repeats);

        KafkaStreams app = null;
        try (LocalStack stack = LocalStack.start(workDir.resolve("stack"), 0, 0, Map.of())) {
            String bootstrap = stack.bootstrapServers();
            SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
            new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
            TopicProvisioner.ensure(bootstrap, Topics.provisioned(), 3, (short) 1);
            TopicProvisioner.ensure(bootstrap, List.of(new ScratchTopic(COPY_TOPIC)), 3, (short) 1);
            log("stack up: kafka %s, registry %s", bootstrap, stack.schemaRegistryUrl());

            long produced;
            try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                    new StringSerializer(), new AvroSerializer<>(registry, false, true))) {
                BenchInputs.loadExamplePolicy(producer);
                long begin = System.nanoTime();
                produced = BenchInputs.produce(producer, BenchInputs.replayPasses(replay, repeats).stream()
                        .map(e -> new BenchInputs.Keyed(Topics.CONVERSATION_EVENTS.name(), e.getSessionId(), e))
                        .toList());
                log("pre-produced %,d events in %.1f s", produced, Throughput.seconds(System.nanoTime() - begin));
            }

            Throughput copy = PhaseTimer.byOutputs(bootstrap, COPY_TOPIC, produced, PHASE_TIMEOUT,
                    () -> {
                        long start = System.nanoTime();
                        TransactionalCopy.run(bootstrap, "bench-copy-" + UUID.randomUUID(),
                                List.of(Topics.CONVERSATION_EVENTS.name()), COPY_TOPIC, () -> true, copied -> copied >= produced,
                                PHASE_TIMEOUT);
                        return start;
                    });
            log("(a) transactional copy: %,.0f records/s steady, %,.0f wall", copy.steadyPerSecond(), copy.wallPerSecond());

            AppSerdes serdes = new AppSerdes(registry);
            KafkaStreams[] started = new KafkaStreams[1];
            Throughput policy = PhaseTimer.byOutputs(bootstrap, Topics.POLICY_DECISIONS.name(), produced, PHASE_TIMEOUT, () -> {
                long start = System.nanoTime();
                started[0] = new KafkaStreams(BenchApp.POLICY.topology(serdes),
                        StreamsSettings.local(bootstrap, stack.schemaRegistryUrl(), workDir.resolve("state"))
                                .forApp("policy-bench-" + UUID.randomUUID()));
                started[0].start();
                return start;
            });
            app = started[0];
            log("(b) policy app: %,.0f events/s steady, %,.0f wall", policy.steadyPerSecond(), policy.wallPerSecond());

            long[] latencies = measureLatency(bootstrap, registry, replay, rate, latencySeconds);
            printSummary(replay.size(), repeats, copy, policy, rate, latencySeconds, latencies);
        } finally {
            if (app != null) {
                app.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        .withTimeout(Duration.ofSeconds(30)));
            }
        }
        System.exit(0); // client threads the stack left behind must not keep the JVM alive
    }

    /**
     * Sends {@code rate} events a second for {@code seconds} and returns, per event whose decision arrived, the
     * nanoseconds from its scheduled send moment to its decision being visible (-1 where none arrived). Timing from
     * the schedule, not from the actual send, keeps a producer that falls behind from hiding the delay.
     */
    private static long[] measureLatency(String bootstrap, SchemaRegistryClient registry, List<ConversationEvent> replay,
                                         int rate, int seconds) throws Exception {
        int total = rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        String[] ids = new String[total];
        Map<String, Integer> index = new HashMap<>(total * 2);
        for (int i = 0; i < total; i++) {
            ids[i] = "lat-" + i + "-" + replay.get(i % replay.size()).getEventId();
            index.put(ids[i], i);
        }
        long[] latencies = new long[total];
        Arrays.fill(latencies, -1);
        long t0 = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        int[] received = new int[1];
        CommittedReader reader = CommittedReader.start(bootstrap, Topics.POLICY_DECISIONS.name(), true, (key, visible) -> {
            Integer i = index.get(key);
            if (i != null && latencies[i] < 0) {
                latencies[i] = visible - (t0 + i * periodNanos);
                received[0]++;
            }
            return received[0] >= total;
        }, Duration.ofSeconds(seconds + 60L));
        long maxBehind = 0;
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new AvroSerializer<>(registry, false, true))) {
            for (int i = 0; i < total; i++) {
                long due = t0 + i * periodNanos;
                long now = System.nanoTime();
                if (now < due) {
                    LockSupport.parkNanos(due - now);
                } else {
                    maxBehind = Math.max(maxBehind, now - due);
                }
                ConversationEvent event = BenchInputs.withId(replay.get(i % replay.size()), ids[i], Instant.now());
                producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), ids[i], event));
            }
            producer.flush();
        }
        log("(c) sent %,d events at %,d/s in %.1f s (producer at most %.1f ms behind schedule)", total, rate,
                Throughput.seconds(System.nanoTime() - t0), maxBehind / 1e6);
        reader.close();
        return latencies;
    }

    private static void printSummary(int planSize, int repeats, Throughput copy, Throughput policy, int rate, int seconds,
                                     long[] latencies) {
        long[] arrived = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
        List<String> lines = new ArrayList<>();
        lines.add(String.format("Throughput: %,d events (%,d real replay events x %d passes), 3 partitions, same broker, same run",
                copy.records(), planSize, repeats));
        lines.add("| pipeline | events/s (first to last output) | events/s (start to last output) |");
        lines.add("|---|---|---|");
        lines.add(String.format("| (a) transactional copy, bytes | %,.0f | %,.0f |", copy.steadyPerSecond(), copy.wallPerSecond()));
        lines.add(String.format("| (b) policy app, exactly_once_v2 | %,.0f | %,.0f |", policy.steadyPerSecond(), policy.wallPerSecond()));
        lines.add(String.format("| ratio (b)/(a) | %.2f | %.2f |", policy.steadyPerSecond() / copy.steadyPerSecond(),
                policy.wallPerSecond() / copy.wallPerSecond()));
        lines.add("");
        lines.add(String.format("Latency at %,d events/s for %d s: %,d sent, %,d decisions visible", rate, seconds,
                latencies.length, arrived.length));
        lines.add("| p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        lines.add("|---|---|---|---|---|");
        if (arrived.length > 0) {
            lines.add(String.format("| %.1f | %.1f | %.1f | %.1f | %.1f |", millis(arrived, 0.50), millis(arrived, 0.90),
                    millis(arrived, 0.99), millis(arrived, 0.999), arrived[arrived.length - 1] / 1e6));
        }
        System.out.println();
        lines.forEach(System.out::println);
    }

    /** The nearest-rank quantile of sorted nanoseconds, in milliseconds. */
    private static double millis(long[] sorted, double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }
}
