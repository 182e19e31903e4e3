package io.soma.streams.bench;

import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.budget.BudgetGate;
import io.soma.streams.edge.budget.BudgetSlice;
import io.soma.streams.edge.budget.StepEstimate;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.query.PeerCredentials;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.testkit.RedisNamespace;
import io.soma.streams.topologies.budget.BudgetApp;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static io.soma.streams.bench.BenchOutput.log;

/**
 * The reservation round trip a step waits for before it is published (issue 16): {@link BudgetGate#ask}, the edge's
 * own gate from the edge's own {@link BudgetSlice} (its producer, its reply waiter on {@code budget.replies}, the
 * budget app it launches), on the local stack: the real broker and registry ({@link LocalStack}), Redis and
 * PostgreSQL. Every step is a real ServeGen tenant's window ({@link BenchInputs#steps}); every tenant has a hard
 * monthly token budget no step reaches, so each reservation is decided against it and granted. Once granted, the
 * step's response is published as a gateway would, so the reservation is settled and the ledger stays its real size.
 * <p>
 * Open loop ({@link OpenLoop}): steps are due at a fixed rate, each handed to a pool of blocking callers (as the
 * edge's HTTP threads block in the gate) at its due moment, and timed from that moment, not from when a thread took
 * it: a caller or the driver falling behind is counted, not hidden (no coordinated omission).
 * <p>
 * Settings (system properties): {@code soma.data.dir} (../shared/data), {@code bench.rates} (500,2000 steps/s),
 * {@code bench.seconds} (20 per rate), {@code bench.warmup.seconds} (10, at 100 steps/s, not counted),
 * {@code bench.callers} (400 blocking callers), {@code bench.commit.interval.ms} (the budget app's commit interval;
 * the process default when unset),
 * {@code bench.work.dir} (bench/target/reservation-bench; a fresh stack per run).
 */
public final class BudgetReservationBenchmark {
    private static final int WARMUP_RATE = 100;

    /** What one rate gave: the round trips, timed from each step's due moment, and what the gate answered. */
    private record Result(OpenLoop.Result answers, long granted, long refused, long unreachable) {
    }

    private BudgetReservationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(System.getProperty("soma.data.dir", "../shared/data"));
        List<Integer> rates = Arrays.stream(System.getProperty("bench.rates", "500,2000").split(","))
                .map(s -> Integer.parseInt(s.trim())).toList();
        int seconds = Integer.getInteger("bench.seconds", 20);
        int warmupSeconds = Integer.getInteger("bench.warmup.seconds", 10);
        int callers = Integer.getInteger("bench.callers", 400);
        String commitIntervalMs = System.getProperty("bench.commit.interval.ms");
        String runId = Long.toString(System.currentTimeMillis());
        Path workDir = Path.of(System.getProperty("bench.work.dir", "bench/target/reservation-bench"))
                .resolve("run-" + runId).toAbsolutePath();

        int needed = WARMUP_RATE * warmupSeconds + rates.stream().mapToInt(r -> r * seconds).sum();
        List<BenchInputs.Step> steps = BenchInputs.steps(ServeGenEvents.read(
                dataDir.resolve("servegen-language").resolve("servegen_m-large.csv"), List.of(), ""), needed);
        if (steps.size() < needed) {
            throw new IllegalArgumentException("the run needs " + needed + " steps, ServeGen has " + steps.size()
                    + " windows: fewer rates or seconds");
        }
        log("%,d steps of %,d ServeGen tenants; load %s", steps.size(),
                steps.stream().map(BenchInputs.Step::tenant).distinct().count(), MachineLoad.oneMinute());

        List<Result> results = new ArrayList<>();
        // the run's Redis keys (budget mirrors, rate limits) under a prefix of its own, deleted when it ends
        try (RedisNamespace redis = RedisNamespace.create("bench-budget-" + runId);
             LocalStack stack = LocalStack.start(workDir.resolve("stack"), 0, 0, Map.of())) {
            Map<String, String> settings = new HashMap<>(Map.of(
                    "stack.embedded", "false",
                    "kafka.bootstrap.servers", stack.bootstrapServers(),
                    "schema.registry.url", stack.schemaRegistryUrl(),
                    "stack.data.dir", workDir.resolve("edge").toString(),
                    // Redis and PostgreSQL: the process defaults, as the demo benchmarks use them
                    "redis.key.prefix", redis.prefix(),
                    "edge.peer.port", "0"));
            if (commitIntervalMs != null) {
                settings.put(StreamsSettings.COMMIT_INTERVAL_BY_APP_PREFIX + "." + BudgetApp.APPLICATION_ID,
                        commitIntervalMs);
            }
            SomaConfig config = SomaConfig.from(Settings.of(settings));
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try (Platform platform = Platform.start(config, PeerCredentials.random());
                 Slices slices = Slices.start(platform, List.of(BudgetSlice::start));
                 KafkaProducer<String, SpecificRecord> gateway = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                         ProducerConfig.LINGER_MS_CONFIG, 1),
                         new StringSerializer(), new AvroSerializer<>(platform.registry(), false, true))) {
                BudgetGate gate = slices.require(BudgetSlice.class).gate();
                BenchInputs.produce(gateway, BenchInputs.budgets(steps, Instant.now()));
                log("stack up: kafka %s, registry %s, budget app commit interval %d ms, %d callers",
                        config.bootstrapServers(), config.schemaRegistryUrl(),
                        platform.streamsSettings().commitIntervalMs(BudgetApp.APPLICATION_ID), callers);

                int next = WARMUP_RATE * warmupSeconds;
                Result warmup = drive(gate, gateway, pool, steps.subList(0, next), WARMUP_RATE);
                log("warm-up (not counted): %s", format(warmup));
                for (int rate : rates) {
                    Result result = drive(gate, gateway, pool, steps.subList(next, next + rate * seconds), rate);
                    next += rate * seconds;
                    results.add(result);
                    log("%s", format(result));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        BenchOutput.table("| steps/s offered | steps | answered/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms"
                + " | granted | refused | unreachable | failed | driver late max ms | load (1 min) |",
                results.stream().map(BudgetReservationBenchmark::format).toList());
        System.exit(0); // client threads the stack left behind must not keep the JVM alive
    }

    /** Offers {@code steps} at {@code rate} per second, each due at its slot, and waits for every answer. */
    private static Result drive(BudgetGate gate, KafkaProducer<String, SpecificRecord> gateway, ExecutorService pool,
                                List<BenchInputs.Step> steps, int rate) throws InterruptedException {
        AtomicLong granted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong unreachable = new AtomicLong();
        OpenLoop.Result answers = OpenLoop.drive(rate, steps.size(), i -> CompletableFuture.runAsync(() -> {
            BenchInputs.Step step = steps.get(i);
            Optional<BudgetReservationReply> reply = gate.ask(step.id(), new BudgetGate.Step(step.tenant(),
                    null, null, null, new StepEstimate(step.promptTokens(), step.completionTokens())));
            if (reply.isEmpty()) {
                unreachable.incrementAndGet();
            } else if (reply.get().getGranted()) {
                granted.incrementAndGet();
                ConversationEvent response = BenchInputs.response(step, Instant.now());
                gateway.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), response.getSessionId(),
                        response));
            } else {
                refused.incrementAndGet();
            }
        }, pool));
        return new Result(answers, granted.get(), refused.get(), unreachable.get());
    }

    private static String format(Result r) {
        OpenLoop.Result a = r.answers();
        return String.format("| %s | %,d | %,d | %,d | %,d | %.1f | %s |", a.latencies(), r.granted(), r.refused(),
                r.unreachable(), a.failed(), a.maxLateMs(), a.load());
    }
}
