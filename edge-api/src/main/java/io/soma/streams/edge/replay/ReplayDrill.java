package io.soma.streams.edge.replay;

import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.Subjects;
import io.soma.streams.schemas.serde.WireFormat;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ValueAndTimestamp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The replay drill (docs/reliability.md#replay-drill): rebuilds the deterministic apps' outputs from the input
 * topics of a running stack, under fresh application ids on a broker and registry of its own (running them again on
 * the live cluster would write a second copy of every output into the live topics), and compares them with the live
 * outputs record by record.
 */
public final class ReplayDrill {
    private static final Duration STEP = Duration.ofMillis(200);

    private final String bootstrapServers;
    private final SchemaRegistryClient registry;
    private final Settings settings;
    private final Path workDir;
    private final Duration timeout;

    /**
     * @param bootstrapServers the running stack's Kafka; {@code registryUrl} its schema registry
     * @param settings         the configuration its processes run with (windows, trusted keys, thresholds)
     * @param workDir          where the rebuild's broker, registry and state live; deleted at the end
     * @param timeout          how long each wait may take (for the live apps to catch up, a copy, the rebuild)
     */
    public ReplayDrill(String bootstrapServers, String registryUrl, Settings settings, Path workDir, Duration timeout) {
        this.bootstrapServers = bootstrapServers;
        this.registry = new SchemaRegistryClient(registryUrl);
        this.settings = settings;
        this.workDir = workDir;
        this.timeout = timeout;
    }

    /**
     * {@code replay-drill demo|run [--config FILE] [--timeout PT10M]}: the stack and settings of the process started
     * with the same command and configuration. Prints the report; returns 0 when identical, 1 when not, 2 when the
     * drill could not run.
     */
    public static int command(String[] args, BiFunction<String, Path, SomaConfig> configure) {
        if (args.length == 0 || !(args[0].equals("demo") || args[0].equals("run")) || args.length % 2 == 0) {
            System.err.println("usage: replay-drill demo|run [--config FILE] [--timeout PT10M]");
            return 2;
        }
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].equals("--config") && !args[i].equals("--timeout")) {
                System.err.println("unknown option " + args[i]);
                return 2;
            }
            options.put(args[i], args[i + 1]);
        }
        String configFile = options.getOrDefault("--config", System.getenv("SOMA_CONFIG"));
        try {
            SomaConfig config = configure.apply(args[0], configFile == null ? null : Path.of(configFile));
            ReplayReport report = new ReplayDrill(config.bootstrapServers(), config.schemaRegistryUrl(),
                    config.settings(), Files.createTempDirectory("soma-replay-"),
                    Duration.parse(options.getOrDefault("--timeout", "PT10M"))).run();
            System.out.println(report);
            return report.identical() ? 0 : 1;
        } catch (Exception e) {
            // a timeout of an admin call has no message: the exception names what failed
            System.err.println("replay drill failed: " + e);
            return 2;
        }
    }

    public ReplayReport run() throws Exception {
        try {
            return rebuildAndCompare();
        } finally {
            deleteRecursively(workDir);
        }
    }

    private ReplayReport rebuildAndCompare() throws Exception {
        long started = System.nanoTime();
        String runId = "replay-" + UUID.randomUUID().toString().substring(0, 8);
        List<ReplayScope.RebuiltApp> liveApps = ReplayScope.apps(settings, new AppSerdes(registry));
        List<String> copiedTopics = Stream.concat(ReplayScope.STATE_INPUTS.stream(), ReplayScope.EVENT_INPUTS.stream())
                .toList();
        long inputsBefore;
        try (Admin live = admin(bootstrapServers)) {
            for (ReplayScope.RebuiltApp app : liveApps) {
                awaitCaughtUp(live, app.applicationId(), inputs(live, app.applicationId(), app));
            }
            inputsBefore = TopicLog.stableEnd(live, copiedTopics);
        }
        Files.createDirectories(workDir);
        try (LocalStack rebuild = LocalStack.start(workDir.resolve("stack"), 0, 0,
                Map.of("log.retention.ms", "-1"))) {
            SchemaRegistryClient rebuildRegistry = new SchemaRegistryClient(rebuild.schemaRegistryUrl());
            new SchemaRegistrar(rebuildRegistry).registerAll(Topics.valueSchemas());
            createTopicsAsLive(rebuild.bootstrapServers());
            Map<String, Long> copied = new LinkedHashMap<>();
            SchemaIds ids = new SchemaIds(registry, rebuildRegistry);
            copy(ReplayScope.STATE_INPUTS, rebuild.bootstrapServers(), ids, copied);

            AppSerdes serdes = new AppSerdes(rebuildRegistry);
            StreamsSettings streams = StreamsSettings.local(rebuild.bootstrapServers(), rebuild.schemaRegistryUrl(),
                    workDir.resolve("state"));
            List<RunningApp> rebuilt = new ArrayList<>();
            try (Admin admin = admin(rebuild.bootstrapServers())) {
                for (ReplayScope.RebuiltApp app : ReplayScope.apps(settings, serdes)) {
                    rebuilt.add(RunningApp.start(runId + "-" + app.applicationId(), app.topology(), streams));
                }
                poll("the rebuilt apps to run", timeout, () -> rebuilt.stream().allMatch(this::running));
                RunningApp policy = rebuilt.stream()
                        .filter(a -> a.applicationId().endsWith("-" + PolicyApp.APPLICATION_ID)).findFirst().orElseThrow();
                awaitCaughtUp(admin, policy.applicationId(), List.of(Topics.CONSTITUTION_UPDATED.name()));
                awaitConstitutionsServed(policy.streams(), rebuild.bootstrapServers(),
                        serdes.value(Topics.CONSTITUTION_ACTIVE).deserializer(), timeout);

                copyInEventTimeOrder(ReplayScope.EVENT_INPUTS, rebuild.bootstrapServers(), ids, copied);
                for (int i = 0; i < rebuilt.size(); i++) {
                    awaitCaughtUp(admin, rebuilt.get(i).applicationId(),
                            inputs(admin, rebuilt.get(i).applicationId(), liveApps.get(i)));
                }
                List<OutputComparison.TopicResult> results = new ArrayList<>();
                for (var output : ReplayScope.COMPARED.entrySet()) {
                    results.add(OutputComparison.compare(output.getKey(), output.getValue(),
                            TopicLog.readAll(bootstrapServers, output.getKey(), timeout),
                            TopicLog.readAll(rebuild.bootstrapServers(), output.getKey(), timeout),
                            registry::schemaById, rebuildRegistry::schemaById));
                }
                long arrivedDuring;
                try (Admin live = admin(bootstrapServers)) {
                    arrivedDuring = TopicLog.stableEnd(live, copiedTopics) - inputsBefore;
                }
                return new ReplayReport(bootstrapServers, runId, copied, arrivedDuring, results,
                        ReplayScope.NOT_COMPARED, Duration.ofNanos(System.nanoTime() - started));
            } finally {
                rebuilt.forEach(RunningApp::close);
            }
        }
    }

    /**
     * Waits until the policy app serves, from its global store, the latest verified constitution of every scope on
     * {@code constitution.active}: events evaluated before would be decided without it.
     */
    static void awaitConstitutionsServed(KafkaStreams policy, String bootstrapServers,
                                         Deserializer<ConstitutionBundle> values, Duration timeout) {
        Map<String, ConstitutionBundle> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicLog.readAll(bootstrapServers, Topics.CONSTITUTION_ACTIVE.name(), timeout)) {
            latest.put(new String(r.key(), StandardCharsets.UTF_8),
                    values.deserialize(Topics.CONSTITUTION_ACTIVE.name(), r.headers(), r.value()));
        }
        poll("the policy app to serve " + latest.size() + " verified constitution(s)", timeout, () -> {
            var store = policy.store(StoreQueryParameters.fromNameAndType(PolicyApp.ACTIVE_CONSTITUTIONS,
                    QueryableStoreTypes.<String, ConstitutionBundle>timestampedKeyValueStore()));
            return latest.entrySet().stream().allMatch(e ->
                    Objects.equals(ValueAndTimestamp.getValueOrNull(store.get(e.getKey())), e.getValue()));
        });
    }

    /** The live topics an app reads: the registry's topics among its sources, and its repartition topics. */
    private static List<String> inputs(Admin admin, String groupId, ReplayScope.RebuiltApp app) throws Exception {
        Set<String> declared = Topics.all().stream().map(Topics.Topic::name).collect(Collectors.toSet());
        Stream<String> sources = app.topology().describe().subtopologies().stream()
                .flatMap(s -> s.nodes().stream())
                .filter(n -> n instanceof TopologyDescription.Source)
                .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
                .filter(declared::contains);
        Stream<String> repartitions = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(t -> t.startsWith(groupId + "-") && t.endsWith("-repartition"));
        return Stream.concat(sources, repartitions).distinct().sorted().toList();
    }

    private void awaitCaughtUp(Admin admin, String groupId, List<String> topics) {
        long[] lag = {-1};
        poll("consumer group " + groupId + " to commit every record of " + topics, timeout, () -> {
            try {
                lag[0] = TopicLog.lag(admin, groupId, topics);
                return lag[0] == 0;
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the lag of " + groupId + ": " + e, e);
            }
        });
    }

    /**
     * Creates every topic of the registry with the partition count the live one has, so keys land as they did; the
     * event inputs get one partition, which the copy fills in event-time order.
     */
    private void createTopicsAsLive(String rebuildBootstrap) throws Exception {
        try (Admin live = admin(bootstrapServers)) {
            List<String> names = Topics.provisioned().stream().map(TopicProvisioner.TopicSpec::name).toList();
            Set<String> existing = live.listTopics().names().get(30, TimeUnit.SECONDS);
            Map<String, TopicDescription> described = live.describeTopics(names.stream().filter(existing::contains).toList())
                    .allTopicNames().get(30, TimeUnit.SECONDS);
            Map<Integer, List<TopicProvisioner.TopicSpec>> byPartitions = Topics.provisioned().stream()
                    .filter(t -> described.containsKey(t.name()))
                    .collect(Collectors.groupingBy(t -> ReplayScope.EVENT_INPUTS.contains(t.name()) ? 1
                            : described.get(t.name()).partitions().size()));
            byPartitions.forEach((partitions, specs) ->
                    TopicProvisioner.ensure(rebuildBootstrap, specs, partitions, (short) 1));
        }
    }

    /** Copies each topic partition by partition: keys, timestamps and headers as they are, values re-framed. */
    private void copy(List<String> topics, String rebuildBootstrap, SchemaIds ids, Map<String, Long> copied) {
        try (KafkaProducer<byte[], byte[]> producer = producer(rebuildBootstrap)) {
            for (String topic : topics) {
                long n = TopicLog.forEach(bootstrapServers, topic, timeout, r -> producer.send(new ProducerRecord<>(
                        topic, r.partition(), r.timestamp(), r.key(), ids.reframe(topic, r.value()), r.headers())));
                producer.flush();
                copied.put(topic, n);
            }
        }
    }

    /**
     * Copies each topic into its one partition in event-time order (each live partition's own order kept, so each
     * key's): the rebuilt apps then see the events as a live app does whose partitions keep pace with each other.
     * Processed as copied partition by partition, an app's repartition topic would get a whole partition's events
     * ahead of the others', and windows would close before the others' events arrive.
     */
    private void copyInEventTimeOrder(List<String> topics, String rebuildBootstrap, SchemaIds ids,
                                      Map<String, Long> copied) {
        try (KafkaProducer<byte[], byte[]> producer = producer(rebuildBootstrap)) {
            for (String topic : topics) {
                List<ConsumerRecord<byte[], byte[]>> merged =
                        TopicLog.inEventTimeOrder(TopicLog.readAll(bootstrapServers, topic, timeout));
                merged.forEach(r -> producer.send(new ProducerRecord<>(topic, 0, r.timestamp(), r.key(),
                        ids.reframe(topic, r.value()), r.headers())));
                producer.flush();
                copied.put(topic, (long) merged.size());
            }
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 20), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private boolean running(RunningApp app) {
        KafkaStreams.State state = app.streams().state();
        if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
            throw new IllegalStateException(app.applicationId() + " stopped: " + state);
        }
        return state == KafkaStreams.State.RUNNING;
    }

    private static void poll(String what, Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (done.getAsBoolean()) {
                    return;
                }
            } catch (org.apache.kafka.streams.errors.InvalidStateStoreException notYet) {
                last = notYet;
            }
            try {
                Thread.sleep(STEP.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what
                + (last == null ? "" : " (last: " + last.getMessage() + ")"));
    }

    private static Admin admin(String bootstrapServers) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * The rebuild's schema id for each live one: the body of a copied value stays byte for byte, its header names
     * the same writer schema registered in the rebuild's registry.
     */
    private record SchemaIds(SchemaRegistryClient live, SchemaRegistryClient rebuild, Map<Integer, Integer> ids) {
        SchemaIds(SchemaRegistryClient live, SchemaRegistryClient rebuild) {
            this(live, rebuild, new ConcurrentHashMap<>());
        }

        byte[] reframe(String topic, byte[] value) {
            if (value == null || value.length < WireFormat.HEADER_SIZE || value[0] != WireFormat.MAGIC_BYTE) {
                return value; // not framed: copied as it is, the app refuses it as the live one did
            }
            int rebuilt = ids.computeIfAbsent(WireFormat.schemaId(topic, value),
                    id -> rebuild.register(Subjects.value(topic), live.schemaById(id)));
            byte[] out = Arrays.copyOf(value, value.length);
            ByteBuffer.wrap(out, 1, 4).putInt(rebuilt);
            return out;
        }
    }
}
