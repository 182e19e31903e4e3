package io.soma.streams.bench;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalKafkaCluster;
import io.soma.streams.devstack.SchemaRegistryProcess;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.soma.streams.bench.BenchOutput.log;

/**
 * Each Streams app with exactly-once v2 against a plain transactional consume→produce copy of the same input, on the
 * same real 3-node Kafka cluster (one JVM per broker, topics with replication factor 3) and registry, in one run,
 * with 1, 2 and 3 instances, every instance a JVM of its own ({@link BenchInstance}) sharing one application id.
 * Per app: its real input ({@link BenchInputs}) is pre-produced to its input topic (emptied first), then for every
 * instance count the copy ({@link TransactionalCopy}, same count of instances, same partitions) and the app each
 * process all of it, timed by {@link PhaseTimer}, after untimed warm-up passes in the same JVMs. Each phase also
 * says what CPU each process spent ({@link CpuAccount}).
 * <p>
 * Settings (system properties): {@code soma.data.dir} (../shared/data), {@code bench.apps}
 * (policy,training,forecast,slm,budget,marketplace), {@code bench.instances} (1,2,3), {@code bench.events} (20000
 * input records per app), {@code bench.partitions} (6), {@code bench.brokers} (3, also the replication factor),
 * {@code bench.work.dir} (bench/target/scaling-bench; a fresh cluster per run), {@code bench.warmup.passes} (1).
 * Each app commits at the interval the process gives it ({@link BenchApp#commitIntervalMs()}), the copy every
 * 100 ms; {@code bench.streams.<setting>} and {@code bench.copy.commit.interval.ms} try others, in every instance.
 */
public final class AppScalingBenchmark {
    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(5);
    private static final String COPY_TOPIC = "bench.copy";
    /** Untimed passes over the input before the timed one, in the same JVMs: {@code bench.warmup.passes}. */
    private static final int WARMUP_PASSES = Integer.getInteger("bench.warmup.passes", 1);
    private static final Duration IDLE_SAMPLE = Duration.ofSeconds(5);
    private static final String CPU_ROLES = "brokers / instances / registry / driver = total";

    /**
     * One instance count of one app; {@code load}: the 1-minute load average before the copy, between, after the app;
     * {@code brokersIdleCores}: what the brokers spent with no client, just before the copy's phase.
     */
    private record Row(BenchApp app, int instances, long records, Phase copy, Phase result, String load,
                       double brokersIdleCores) {
    }

    /** A phase's timing, the CPU each part of the run spent from go to done, and the outputs it wrote. */
    private record Phase(Throughput throughput, CpuAccount.Spent cpu, long outputs) {
    }

    private AppScalingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(System.getProperty("soma.data.dir", "../shared/data"));
        List<BenchApp> apps = Arrays.stream(System.getProperty("bench.apps",
                        "policy,training,forecast,slm,budget,marketplace").split(","))
                .map(BenchApp::parse).toList();
        List<Integer> instanceCounts = Arrays.stream(System.getProperty("bench.instances", "1,2,3").split(","))
                .map(s -> Integer.parseInt(s.trim())).toList();
        int events = Integer.getInteger("bench.events", 20_000);
        int partitions = Integer.getInteger("bench.partitions", 6);
        int brokers = Integer.getInteger("bench.brokers", 3);
        String runId = Long.toString(System.currentTimeMillis());
        Path workDir = Path.of(System.getProperty("bench.work.dir", "bench/target/scaling-bench")).resolve("run-" + runId)
                .toAbsolutePath();

        List<ReplayPlan.Scheduled> plan = ReplayPlan.build(dataDir, Instant.now());
        List<ConversationEvent> serveGen = ServeGenEvents.read(
                dataDir.resolve("servegen-language").resolve("servegen_m-large.csv"), List.of(), "");
        List<McpRegistry.Entry> capsules = McpRegistry.read(McpRegistry.file(dataDir));
        log("datasets: replay plan %,d events, ServeGen %,d tenant windows; load %s", plan.size(), serveGen.size(),
                MachineLoad.oneMinute());

        List<Row> rows = new ArrayList<>();
        // the forecast app's outputs carry ServeGen's event times (January 2025): under the brokers' default 7-day
        // retention, their retention check (30 s after start, then every 5 minutes) deleted them mid-run, and a
        // phase's output count, read from the offsets the topic ended at before the phase, came out short
        try (LocalKafkaCluster cluster = LocalKafkaCluster.start(workDir.resolve("cluster"), brokers,
                Map.of("log.retention.ms", "-1"));
             SchemaRegistryProcess registryProcess = SchemaRegistryProcess.start(SchemaRegistryProcess.locateJar(), 0,
                     workDir.resolve("registry.log"))) {
            String bootstrap = cluster.bootstrapServers();
            String registryUrl = registryProcess.url();
            SchemaRegistryClient registry = new SchemaRegistryClient(registryUrl);
            new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
            // every topic on every broker, as the cluster's own internal topics are
            TopicProvisioner.ensure(bootstrap, Topics.provisioned(), partitions, (short) brokers);
            TopicProvisioner.ensure(bootstrap, List.of(new ScratchTopic(COPY_TOPIC)), partitions, (short) brokers);
            log("cluster up: kafka %s, registry %s; topics with %d partitions, RF %d", bootstrap, registryUrl, partitions,
                    brokers);
            Map<String, List<Long>> otherPids = new LinkedHashMap<>();
            otherPids.put("brokers", IntStream.rangeClosed(1, brokers).mapToObj(i -> cluster.pid(i)).toList());
            otherPids.put("registry", List.of(registryProcess.pid()));
            otherPids.put("driver", List.of(ProcessHandle.current().pid()));

            try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 20),
                    new StringSerializer(), new AvroSerializer<>(registry, false, true))) {
                BenchInputs.loadExamplePolicy(producer);
                for (BenchApp app : apps) {
                    // a step is two input records: its reservation and its response
                    List<BenchInputs.Step> steps = BenchInputs.steps(serveGen, events / 2);
                    List<BenchInputs.Keyed> input = switch (app) {
                        case POLICY -> BenchInputs.policy(plan, events);
                        case TRAINING -> BenchInputs.training(serveGen, events, Instant.now());
                        case FORECAST -> BenchInputs.forecast(serveGen, events);
                        case SLM -> BenchInputs.slm(plan, events);
                        case BUDGET -> BenchInputs.budget(steps, Instant.now());
                        case MARKETPLACE -> BenchInputs.marketplace(capsules, ExampleCapsulePublisher.privateKey(
                                ExampleCapsulePublisher.PRIVATE_KEY_FILE), events, Instant.now());
                    };
                    if (app == BenchApp.BUDGET) {
                        // not input: each phase's app (a fresh application id) reads them from the start
                        BenchInputs.produce(producer, BenchInputs.budgets(steps, Instant.now()));
                    }
                    for (String topic : app.inputTopics) {
                        empty(bootstrap, topic);
                    }
                    long produced = BenchInputs.produce(producer, input);
                    log("%s: %,d input records on %s", app.label(), produced, app.inputTopics);
                    for (int n : instanceCounts) {
                        CpuAccount.Spent idle = idleCpu(otherPids);
                        double brokersIdle = idle.cores("brokers");
                        String before = MachineLoad.oneMinute();
                        Phase copy = phase(app, true, n, produced, bootstrap, registryUrl, workDir, runId, otherPids,
                                null);
                        String between = MachineLoad.oneMinute();
                        Phase result = phase(app, false, n, produced, bootstrap, registryUrl, workDir, runId, otherPids,
                                app.output);
                        Row row = new Row(app, n, produced, copy, result,
                                before + " → " + between + " → " + MachineLoad.oneMinute(), brokersIdle);
                        rows.add(row);
                        log("%s", format(row));
                        log("%s", formatCpu(row));
                    }
                }
            }
        }
        BenchOutput.table("| app | instances | records | commit ms app / copy | copy rec/s | app rec/s | **ratio**"
                + " | copy rec/s incl. start | app rec/s incl. start | ratio incl. start | app outputs | load (1 min) |",
                rows.stream().map(AppScalingBenchmark::format).toList());
        BenchOutput.table("| app | instances | copy: CPU s per 1,000 records, " + CPU_ROLES + " | machine busy"
                        + " | app: CPU s per 1,000 records, " + CPU_ROLES + " | machine busy | **CPU ratio** copy ÷ app"
                        + " | app instances' busiest threads, CPU s per 1,000 records"
                        + " | brokers' busiest threads (all three), CPU s per 1,000 records"
                        + " | brokers idle, cores | **bound** if the app's instances cost nothing, net of the brokers' idle |",
                rows.stream().map(AppScalingBenchmark::formatCpu).toList());
        System.exit(0); // client threads the cluster and registry left behind must not keep the JVM alive
    }

    /**
     * N instances of the copy or of the app over the whole input, timed the way the app's output allows, with the CPU
     * of the instances and of {@code otherPids} (brokers, registry, driver) from go to done, and the records it wrote
     * to {@code countTopic} (none counted when null). The same JVMs first make {@link #WARMUP_PASSES} untimed passes
     * over the input under ids of their own, so the timed one runs compiled code, as a long-running process does.
     */
    private static Phase phase(BenchApp app, boolean copy, int instances, long records, String bootstrap,
                               String registryUrl, Path workDir, String runId, Map<String, List<Long>> otherPids,
                               String countTopic) throws Exception {
        String name = app.label() + (copy ? "-copy" : "-app") + "-n" + instances + "-" + runId;
        String id = "bench-" + name;
        List<String> ids = new ArrayList<>();
        for (int pass = 1; pass <= WARMUP_PASSES; pass++) {
            // not "<id>-...": the timer finds an app's repartition topics by the prefix "<id>-"
            ids.add("bench-warmup" + pass + "-" + name);
        }
        ids.add(id);
        List<String> args = copy
                ? List.of("copy", String.join(",", ids), bootstrap, String.join(",", app.inputTopics), COPY_TOPIC)
                : List.of("app", app.label(), String.join(",", ids), bootstrap, registryUrl,
                workDir.resolve("state").toString());
        // JVM start and group join are not timed: the instances start work together once the group has settled
        try (InstanceGroup group = InstanceGroup.start(instances, workDir.resolve("logs").resolve(id), args)) {
            for (String warmup : ids.subList(0, ids.size() - 1)) {
                timed(app, copy, warmup, records, bootstrap, () -> {
                    group.startWhenSettled(bootstrap, warmup, PHASE_TIMEOUT, () -> { });
                    return System.nanoTime();
                });
                group.next(bootstrap, warmup, PHASE_TIMEOUT);
            }
            Map<TopicPartition, Long> outputFrom = countTopic == null ? Map.of() : CommittedReader.ends(bootstrap, countTopic);
            CpuAccount.Sample[] atGo = new CpuAccount.Sample[1];
            Throughput throughput = timed(app, copy, id, records, bootstrap, () -> {
                group.startWhenSettled(bootstrap, id, PHASE_TIMEOUT, () -> atGo[0] = CpuAccount.sample(
                        cpuRoles(otherPids, group)));
                return System.nanoTime();
            });
            CpuAccount.Spent cpu = CpuAccount.between(atGo[0], CpuAccount.sample(cpuRoles(otherPids, group)));
            return new Phase(throughput, cpu, countTopic == null ? 0 : CommittedReader.count(bootstrap, outputFrom));
        }
    }

    /** One pass under {@code id}, done when its output or its committed offsets say so. */
    private static Throughput timed(BenchApp app, boolean copy, String id, long records, String bootstrap,
                                    PhaseTimer.Phase launch) throws Exception {
        return app.oneToOne
                ? PhaseTimer.byOutputs(bootstrap, copy ? COPY_TOPIC : app.output, records, PHASE_TIMEOUT, launch)
                : PhaseTimer.byCommittedInput(bootstrap, id, app.inputTopics, PHASE_TIMEOUT, launch);
    }

    /**
     * What the cluster spends with no client at all ({@link #IDLE_SAMPLE}), logged: the floor under every phase's
     * CPU, which a fresh cluster's JIT compilers raise for minutes.
     */
    private static CpuAccount.Spent idleCpu(Map<String, List<Long>> pids) throws InterruptedException {
        CpuAccount.Sample from = CpuAccount.sample(pids);
        Thread.sleep(IDLE_SAMPLE.toMillis());
        CpuAccount.Spent idle = CpuAccount.between(from, CpuAccount.sample(pids));
        log("idle for %.1f s: CPU cores used, brokers %.3f, registry %.3f, driver %.3f; machine busy %.2f;"
                        + " brokers' busiest threads (CPU s): %s", idle.wallSeconds(), idle.cores("brokers"),
                idle.cores("registry"), idle.cores("driver"), idle.machineBusy(), idle.topThreads("brokers", 6, 1_000));
        return idle;
    }

    /** The roles in the order {@link #CPU_ROLES} names them. */
    private static Map<String, List<Long>> cpuRoles(Map<String, List<Long>> otherPids, InstanceGroup group) {
        Map<String, List<Long>> roles = new LinkedHashMap<>();
        roles.put("brokers", otherPids.get("brokers"));
        roles.put("instances", group.pids());
        roles.put("registry", otherPids.get("registry"));
        roles.put("driver", otherPids.get("driver"));
        return roles;
    }

    /** Deletes every record of the topic, so the next app's input is all that is on it. */
    private static void empty(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, RecordsToDelete> ends = PhaseTimer.offsets(admin,
                    PhaseTimer.partitions(admin, topic), OffsetSpec.latest()).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> RecordsToDelete.beforeOffset(e.getValue())));
            admin.deleteRecords(ends).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static String format(Row r) {
        Throughput copy = r.copy().throughput();
        Throughput app = r.result().throughput();
        return String.format("| %s | %d | %,d | %d / %d | %,.0f | %,.0f | **%.2f** | %,.0f | %,.0f | %.2f | %,d %s | %s |",
                r.app().label(), r.instances(), r.records(), r.app().commitIntervalMs(),
                TransactionalCopy.commitIntervalMs(), copy.steadyPerSecond(), app.steadyPerSecond(),
                app.steadyPerSecond() / copy.steadyPerSecond(), copy.wallPerSecond(),
                app.wallPerSecond(), app.wallPerSecond() / copy.wallPerSecond(), r.result().outputs(),
                r.app().output, r.load());
    }

    /** The CPU ratio: what the app's ratio to the copy would be if the machine's cores were the only limit. */
    private static String formatCpu(Row r) {
        CpuAccount.Spent copy = r.copy().cpu();
        CpuAccount.Spent app = r.result().cpu();
        double idle = r.brokersIdleCores();
        double bound = (copy.total() - idle * copy.wallSeconds()) / app.net("brokers", idle);
        return String.format("| %s | %d | %s | %.2f | %s | %.2f | **%.2f** | %s | %s | %.3f | **%.2f** |",
                r.app().label(), r.instances(), copy.perThousand(r.records()), copy.machineBusy(),
                app.perThousand(r.records()), app.machineBusy(), copy.total() / app.total(),
                app.topThreads("instances", 6, r.records()), app.topThreads("brokers", 6, r.records()), idle, bound);
    }
}
