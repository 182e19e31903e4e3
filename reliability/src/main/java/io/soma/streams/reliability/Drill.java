package io.soma.streams.reliability;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.devstack.FreePort;
import io.soma.streams.devstack.LocalKafkaCluster;
import io.soma.streams.devstack.SchemaRegistryProcess;
import io.soma.streams.edge.auth.KeySeal;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.redis.ConstitutionHashMirror;
import io.soma.streams.stores.redis.TrainingLockMirror;
import io.soma.streams.topologies.policy.constitution.Constitution;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The failure drill of docs/reliability.md, on real processes of this machine: a 3-broker KRaft cluster (one JVM
 * per broker), the schema registry, a Redis and a PostgreSQL of the drill's own, and 3 Soma instances (separate
 * JVMs, every app and the edge). Training locks are set, then real events are produced at a fixed rate while the
 * drill kills -9 an instance and restarts it, kills -9 a broker and restarts it, stops Redis and starts it empty,
 * stops PostgreSQL and starts it again. Afterwards it counts, by event id with a read_committed reader, decisions
 * per event (duplicates, losses), compares the archive with the topic (gaps), asks every instance for every lock
 * and forecast, and checks that the Redis mirrors are back.
 * <p>
 * Run: {@code java -cp <reliability classpath> io.soma.streams.reliability.Drill} with {@code -Ddrill.*} settings
 * ({@link Settings#fromSystemProperties}); the report is printed and written to {@code <work dir>/report.md}.
 */
public final class Drill {
    private static final Logger log = LoggerFactory.getLogger(Drill.class);
    private static final String ARCHIVE_SCHEMA = "soma";
    private static final Duration READY_LIMIT = Duration.ofMinutes(4);
    /** Seven JVMs share two cores here: the brokers and instances skip the C2 compiler (a drill is not a benchmark). */
    private static final List<String> LIGHT_JVM = List.of("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    /** How long each killed or stopped part stays down. */
    private static final long OUTAGE_MILLIS = 8_000;
    /** New decisions that show the apps process again (or still) before the next failure is injected. */
    private static final int PROGRESS = 200;
    /** The drill instances' forecast windows: short, so that windows close, and forecasts exist, within the drill. */
    private static final Duration FORECAST_WINDOW = Duration.ofMinutes(1);
    private static final Duration FORECAST_GRACE = Duration.ofSeconds(10);
    /**
     * The load runs at least this long, however fast the failures went: every tenant's first window (it ends within a
     * window of the load's start) closes, with half a window of events to spare.
     */
    private static final Duration MIN_LOAD = FORECAST_WINDOW.plus(FORECAST_GRACE).plus(FORECAST_WINDOW.dividedBy(2));
    /** Catching up ends when nothing new arrived for this long: what is missing then counts as lost. */
    private static final Duration STALL_LIMIT = Duration.ofMinutes(2);
    /** How long the instances are asked for the locks, or for the forecasts, before the last answers count. */
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);

    /**
     * @param events       how many events of the replay plan to produce (0: all of it)
     * @param ratePerSecond the load's fixed rate
     * @param lockedTenants how many tenants hold a training lock through the drill
     */
    public record Settings(Path workDir, Path datasetsDir, int events, double ratePerSecond, int instances,
                           int brokers, int partitions, int lockedTenants, String instanceHeap) {
        public static Settings fromSystemProperties() {
            return new Settings(Path.of(System.getProperty("drill.work.dir", "reliability/target/drill")),
                    Path.of(System.getProperty("soma.data.dir", "../shared/data")),
                    Integer.getInteger("drill.events", 7200),
                    Double.parseDouble(System.getProperty("drill.rate", "30")),
                    3, 3, Integer.getInteger("drill.partitions", 6), Integer.getInteger("drill.locked.tenants", 6),
                    System.getProperty("drill.instance.heap", "512m"));
        }
    }

    private final Settings settings;
    private final String runId = "drill" + UUID.randomUUID().toString().substring(0, 8);
    private final List<DrillReport.Step> timeline = new ArrayList<>();
    private long loadBegin;

    private Drill(Settings settings) {
        this.settings = settings;
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.fromSystemProperties();
        DrillReport report = run(settings);
        System.out.println(report.markdown());
        System.exit(report.clean() ? 0 : 1);
    }

    /** Runs the whole drill in a fresh directory under the work dir and writes {@code report.md} there. */
    public static DrillReport run(Settings settings) throws Exception {
        Drill drill = new Drill(settings);
        DrillReport report = drill.execute(settings.workDir().resolve(drill.runId));
        Files.writeString(settings.workDir().resolve(drill.runId).resolve("report.md"), report.markdown());
        log.info("failure drill {}:\n{}", drill.runId, report.markdown());
        return report;
    }

    private DrillReport execute(Path dir) throws Exception {
        long begin = System.nanoTime();
        Files.createDirectories(dir);
        try (LocalKafkaCluster cluster = LocalKafkaCluster.start(dir.resolve("kafka"), settings.brokers(), Map.of(),
                LIGHT_JVM);
             SchemaRegistryProcess registryProcess = SchemaRegistryProcess.start(SchemaRegistryProcess.locateJar(), 0,
                     dir.resolve("schema-registry.log"));
             PrivateRedis redis = PrivateRedis.start(dir.resolve("redis"));
             PrivatePostgres postgres = PrivatePostgres.start(dir.resolve("postgres"))) {
            String apiKey = UUID.randomUUID() + "-" + UUID.randomUUID();
            List<AppInstance> instances = instances(dir, cluster, registryProcess.url(), redis, postgres, apiKey);
            try {
                // the first instance creates topics, schemas and tables alone; the others then join its groups
                instances.get(0).start();
                instances.get(0).awaitReady(READY_LIMIT);
                instances.subList(1, instances.size()).forEach(AppInstance::start);
                instances.forEach(i -> i.awaitReady(READY_LIMIT));
                return drive(cluster, registryProcess.url(), redis, postgres, instances, apiKey, begin);
            } finally {
                // the drill is over: neither the instances nor the brokers are waited for in a clean shutdown
                instances.parallelStream().forEach(AppInstance::close);
                IntStream.rangeClosed(1, cluster.size()).forEach(cluster::kill);
            }
        }
    }

    private List<AppInstance> instances(Path dir, LocalKafkaCluster cluster, String registryUrl, PrivateRedis redis,
                                        PrivatePostgres postgres, String apiKey) {
        List<AppInstance> out = new ArrayList<>();
        String peerCredential = UUID.randomUUID().toString() + UUID.randomUUID();
        String wrapSecret = KeySeal.newWrapSecret(); // one for all: they share the signing keys in Redis
        for (int i = 1; i <= settings.instances(); i++) {
            Map<String, String> s = new LinkedHashMap<>();
            s.put("kafka.bootstrap.servers", cluster.bootstrapServers());
            s.put("schema.registry.url", registryUrl);
            s.put("redis.url", redis.url());
            s.put("postgres.jdbc.url", postgres.jdbcUrl());
            s.put("topics.partitions", Integer.toString(settings.partitions()));
            s.put("topics.replication.factor", Integer.toString(Math.min(3, settings.brokers())));
            s.put("streams.num.standby.replicas", "1");
            s.put("identity.bootstrap.api.key", apiKey);
            s.put("edge.peer.secret", peerCredential);
            s.put("identity.keys.wrap.secret", wrapSecret);
            s.put("constitution.trusted.keys", "example");
            s.put("policy.load.examples", Boolean.toString(i == 1));
            s.put("archive.postgres.schema", ARCHIVE_SCHEMA);
            s.put("forecast.window", FORECAST_WINDOW.toString());
            s.put("forecast.grace", FORECAST_GRACE.toString());
            out.add(new AppInstance(i, dir.resolve("instance-" + i), FreePort.onLoopback(), s,
                    List.of("-Xmx" + settings.instanceHeap(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")));
        }
        return out;
    }

    private DrillReport drive(LocalKafkaCluster cluster, String registryUrl, PrivateRedis redis,
                              PrivatePostgres postgres, List<AppInstance> instances, String apiKey, long begin)
            throws Exception {
        SchemaRegistryClient registry = new SchemaRegistryClient(registryUrl);
        EdgeClient edge = EdgeClient.login(instances.get(0).url(), apiKey);
        Map<String, String> lockedBy = lockTenants(edge, instances);

        List<ConversationEvent> events = EventLoad.fromReplayPlan(settings.datasetsDir(), runId, settings.events());
        Set<String> tokenTenants = events.stream().filter(e -> e.getPromptTokens() != null)
                .map(ConversationEvent::getTenant).collect(Collectors.toCollection(HashSet::new));
        ArchiveReader archive = new ArchiveReader(postgres.jdbcUrl(), ARCHIVE_SCHEMA, runId);
        AppInstance victim = instances.get(1);
        try (CommittedTally<PolicyDecision> tally = new CommittedTally<>(cluster.bootstrapServers(),
                     Topics.POLICY_DECISIONS.name(), Topics.POLICY_DECISIONS.valueSerde(registry).deserializer(), runId,
                     PolicyDecision::getEventId, PolicyDecision::getDecisionId);
             CommittedTally<TrainingAudit> audits = new CommittedTally<>(cluster.bootstrapServers(),
                     Topics.TRAINING_AUDIT.name(), Topics.TRAINING_AUDIT.valueSerde(registry).deserializer(), runId,
                     TrainingAudit::getTenant, TrainingAudit::getEventId);
             EventLoad load = new EventLoad(cluster.bootstrapServers(), registry, events, settings.ratePerSecond(),
                     settings.events() > 0)) {
            // a repeating load has no end to its decisions before it is stopped
            int decisionsAtMost = settings.events() > 0 ? Integer.MAX_VALUE : events.size();
            loadBegin = System.nanoTime();
            load.start();
            step("load starts", load, tally, archive);
            awaitProgress(tally, decisionsAtMost, "decisions flow");
            step("decisions flow", load, tally, archive);

            victim.kill();
            step("kill -9 instance " + victim.index(), load, tally, archive);
            pause(OUTAGE_MILLIS);
            victim.start();
            CompletableFuture<Void> victimReady = CompletableFuture.runAsync(() -> victim.awaitReady(READY_LIMIT));
            step("restart instance " + victim.index() + " (same state dir)", load, tally, archive);
            awaitProgress(tally, decisionsAtMost, "decisions after the instance restart");
            step("decisions flow again", load, tally, archive);

            cluster.kill(2);
            step("kill -9 broker 2", load, tally, archive);
            pause(OUTAGE_MILLIS);
            cluster.restart(2);
            step("broker 2 restarted and back in the cluster", load, tally, archive);
            awaitProgress(tally, decisionsAtMost, "decisions after the broker restart");
            step("decisions flow again", load, tally, archive);

            // the restarted instance must be up before Redis and PostgreSQL go down: one that starts during a
            // PostgreSQL outage is not ready until PostgreSQL is back (its identity store waits for it), a compound
            // failure these steps are not about; on a loaded machine its start outlasted the broker step
            victimReady.get();
            redis.stop();
            int decidedAtRedisStop = tally.answered();
            step("stop Redis", load, tally, archive);
            pause(OUTAGE_MILLIS);
            awaitProgress(tally, decisionsAtMost, "decisions without Redis");
            int decidedWhileRedisDown = tally.answered() - decidedAtRedisStop;
            redis.start();
            step("start Redis (empty)", load, tally, archive);

            long archivedBeforeOutage = archive.read().decisionIds().size();
            postgres.stop();
            step("stop PostgreSQL (fast shutdown)", load, tally, archive);
            pause(OUTAGE_MILLIS);
            awaitProgress(tally, decisionsAtMost, "decisions without PostgreSQL");
            postgres.start();
            long archivedWhenBack = step("start PostgreSQL", load, tally, archive).archived();
            awaitProgress(tally, decisionsAtMost, "decisions after the PostgreSQL restart");
            step("decisions flow again", load, tally, archive);

            // the failures are over: a sized load, repeating until now, stops (the whole plan, events 0, runs to
            // its end)
            if (settings.events() > 0) {
                load.stopAfter(MIN_LOAD);
            }
            load.awaitDone();
            step("load done", load, tally, archive);
            instances.forEach(i -> i.awaitReady(READY_LIMIT));
            step("every instance ready", load, tally, archive);

            Set<String> input = load.acked();
            Set<String> lost = tally.awaitAll(input, STALL_LIMIT);
            step("every event decided (or no progress for 2 min)", load, tally, archive);
            Set<String> decisionIds = tally.outputIds();
            ArchiveReader.Rows archived = archive.awaitRows(decisionIds.size(), STALL_LIMIT);
            step("archive caught up (or no progress for 2 min)", load, tally, archive);
            Set<String> gaps = new HashSet<>(decisionIds);
            gaps.removeAll(archived.decisionIds());

            int tokenBeforeLoss = edge.get(instances.get(0).url(),
                    "/v1/training/status/" + lockedBy.keySet().iterator().next()).status();
            EdgeClient fresh = EdgeClient.login(instances.get(0).url(), apiKey);
            Answers locks = checkLocks(fresh, instances, lockedBy);
            Answers forecasts = checkForecasts(fresh, instances, tokenTenants);
            Answers rewarmed = checkRedis(redis, lockedBy.keySet());
            Set<String> unaudited = audits.awaitAll(lockedBy.keySet(), Duration.ofSeconds(30));
            step("checks done", load, tally, archive);
            return new DrillReport(runId, instances.size(), cluster.size(), settings.partitions(),
                    settings.ratePerSecond(), List.copyOf(timeline), events.size(), load.sent(), input.size(),
                    load.failed(),
                    input.size() - lost.size(),
                    tally.duplicates(), lost.size(), decidedWhileRedisDown, archivedBeforeOutage, archivedWhenBack,
                    archived.decisionIds().size(), archived.rows(), gaps.size(), locks.ok(), locks.asked(),
                    forecasts.ok(), forecasts.asked(), rewarmed.ok(), rewarmed.asked(), lockedBy.size() - unaudited.size(), audits.duplicates(),
                    tokenBeforeLoss, deadLetters(cluster.bootstrapServers()),
                    Duration.ofNanos(System.nanoTime() - begin));
        }
    }

    /** Enables training mode for the drill's tenants, each through another instance; tenant → locked_by. */
    private Map<String, String> lockTenants(EdgeClient edge, List<AppInstance> instances) {
        Map<String, String> lockedBy = new LinkedHashMap<>();
        for (int i = 0; i < settings.lockedTenants(); i++) {
            String tenant = runId + "-tenant-" + i;
            String url = instances.get(i % instances.size()).url();
            EdgeClient.Answer a = edge.post(url, "/v1/training/enable",
                    Map.of("tenant", tenant, "reason", "failure drill", "ttl_seconds", 3600));
            if (a.status() != 200) {
                throw new IllegalStateException("enabling training for " + tenant + " answered " + a);
            }
            lockedBy.put(tenant, a.body().get("locked_by").asText());
        }
        return lockedBy;
    }

    /** How many of the questions got the expected answer. */
    private record Answers(int ok, int asked) {
    }

    /** Every instance asked for every lock: answers showing the lock as set. */
    private static Answers checkLocks(EdgeClient edge, List<AppInstance> instances, Map<String, String> lockedBy) {
        return askEveryInstance(edge, instances, lockedBy.keySet(), "lock", tenant -> "/v1/training/status/" + tenant,
                (tenant, a) -> a.status() == 200 && a.body().path("enabled").asBoolean()
                        && lockedBy.get(tenant).equals(a.body().path("locked_by").asText()));
    }

    /** Every instance asked for the forecast of every tenant whose events carried tokens. */
    private static Answers checkForecasts(EdgeClient edge, List<AppInstance> instances, Set<String> tenants) {
        return askEveryInstance(edge, instances, tenants, "forecast", tenant -> "/v1/forecast/" + tenant
                + "?window_hours=1", (tenant, a) -> a.status() == 200);
    }

    private static Answers askEveryInstance(EdgeClient edge, List<AppInstance> instances, Set<String> tenants,
                                            String what, Function<String, String> path,
                                            BiPredicate<String, EdgeClient.Answer> expected) {
        int ok = 0;
        // one deadline for all the questions: a store still restoring after the restart, or a forecast app behind,
        // answers 503 or 404 for a while, but one never answering must not cost a minute per question (the report,
        // written at the end, would be lost to the test's timeout)
        long deadline = System.nanoTime() + ANSWER_LIMIT.toNanos();
        for (AppInstance instance : instances) {
            for (String tenant : tenants) {
                EdgeClient.Answer a = edge.get(instance.url(), path.apply(tenant));
                while (!expected.test(tenant, a) && System.nanoTime() < deadline) {
                    pause(500);
                    a = edge.get(instance.url(), path.apply(tenant));
                }
                if (expected.test(tenant, a)) {
                    ok++;
                } else {
                    log.warn("instance {} answered {} for the {} of {}", instance.index(), a, what, tenant);
                }
            }
        }
        return new Answers(ok, instances.size() * tenants.size());
    }

    /** The restarted (empty) Redis holds every lock and the global constitution hash again. */
    private static Answers checkRedis(PrivateRedis redis, Set<String> lockedTenants) {
        List<String> keys = new ArrayList<>();
        lockedTenants.forEach(t -> keys.add(TrainingLockMirror.KEY_PREFIX + t));
        keys.add(ConstitutionHashMirror.KEY_PREFIX + Constitution.GLOBAL_SCOPE);
        try (JedisPooled jedis = new JedisPooled(java.net.URI.create(redis.url()))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int present = 0;
            while (System.nanoTime() < deadline) {
                present = (int) keys.stream().filter(jedis::exists).count();
                if (present == keys.size()) {
                    break;
                }
                pause(250);
            }
            return new Answers(present, keys.size());
        }
    }

    private static long deadLetters(String bootstrapServers) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            admin.describeTopics(List.of(Topics.DEAD_LETTER)).allTopicNames().get().get(Topics.DEAD_LETTER).partitions()
                    .forEach(p -> ends.put(new TopicPartition(Topics.DEAD_LETTER, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(ends).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    private DrillReport.Step step(String action, EventLoad load, CommittedTally<?> tally, ArchiveReader archive) {
        ArchiveReader.Rows rows = archive.read();
        DrillReport.Step s = new DrillReport.Step((System.nanoTime() - loadBegin) / 1e9, action, load.ackedCount(),
                tally.answered(), rows.rows() < 0 ? -1 : rows.decisionIds().size());
        timeline.add(s);
        log.info("drill t={}s {}: acked {}, decided {}, archived {}", String.format("%.1f", s.atSeconds()), action,
                s.acked(), s.decided(), s.archived());
        return s;
    }

    /**
     * Waits until {@link #PROGRESS} more events are decided (fewer when fewer are left undecided), at most two
     * minutes: the drill's proof that processing goes on before it injects the next failure.
     */
    private static void awaitProgress(CommittedTally<?> tally, int total, String what) {
        int target = Math.min(tally.answered() + PROGRESS, total);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (tally.answered() < target && System.nanoTime() < deadline) {
            pause(100);
        }
        if (tally.answered() < target) {
            log.warn("{}: only {} of {} decided after 2 minutes", what, tally.answered(), target);
        }
    }

    /**
     * Reads every {@code pollMillis} until {@code done} holds for what was read, or until {@code progress} of it has
     * not changed for {@code stall} (a slow machine catching up is not a loss); returns the last value read.
     */
    static <T> T awaitUnlessStalled(Supplier<T> read, Predicate<T> done, ToLongFunction<T> progress, Duration stall,
                                    long pollMillis) {
        T last = read.get();
        long lastProgress = System.nanoTime();
        while (!done.test(last) && System.nanoTime() - lastProgress < stall.toNanos()) {
            pause(pollMillis);
            T now = read.get();
            if (progress.applyAsLong(now) != progress.applyAsLong(last)) {
                lastProgress = System.nanoTime();
            }
            last = now;
        }
        return last;
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
