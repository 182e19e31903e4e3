package io.soma.streams.edge;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.FreePort;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.health.HealthHandler;
import io.soma.streams.edge.health.KafkaReachability;
import io.soma.streams.edge.health.ReadinessCheck;
import io.soma.streams.edge.metrics.MetricsHandler;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.archive.PostgresPool;
import io.soma.streams.stores.redis.RedisConnection;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.replay.Replayer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.IdentitySettings;
import io.soma.streams.edge.auth.Identity;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.IdentityStore;
import io.soma.streams.edge.auth.KafkaIdentityAuditSink;
import io.soma.streams.edge.auth.SigningKeys;
import io.soma.streams.edge.auth.TokenRoutes;
import io.soma.streams.edge.auth.TokenService;
import io.soma.streams.edge.query.PeerServer;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.stores.query.StoreTenancy;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.HostInfo;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.edge.metrics.EdgeMetrics;
import io.soma.streams.edge.metrics.KafkaStreamsCollector;
import io.soma.streams.edge.training.TrainingHandlers;
import io.soma.streams.stores.redis.ConstitutionHashMirror;
import io.soma.streams.stores.redis.TrainingLockMirror;
import io.soma.streams.topologies.forecast.ForecastApp;
import io.soma.streams.topologies.forecast.ForecastMetrics;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.slm.SlmApp;
import io.soma.streams.topologies.slm.SlmGauges;
import io.soma.streams.topologies.runtime.StreamsSettings;
import io.soma.streams.topologies.training.TrainingApp;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import io.soma.streams.edge.audit.ArchiveRunner;
import io.soma.streams.edge.audit.AuditHandlers;
import io.soma.streams.edge.http.RateLimitHandler;
import io.soma.streams.stores.archive.DecisionArchiveQuery;
import io.soma.streams.stores.ratelimit.RateLimit;
import io.soma.streams.stores.ratelimit.RedisRateLimiter;

import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.RulePackReply;
import io.soma.streams.edge.config.Settings;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.policy.ConversationHandlers;
import io.soma.streams.edge.policy.PolicyHandlers;
import io.soma.streams.edge.forecast.ForecastHandlers;
import io.soma.streams.edge.slm.SlmHandlers;
import io.soma.streams.edge.sse.SseAdmission;
import io.soma.streams.edge.tenancy.TenantHandlers;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.trace.TraceparentInterceptor;
import io.soma.streams.topologies.policy.Constitution;
import io.soma.streams.topologies.policy.ConstitutionVerifier;
import io.soma.streams.topologies.policy.EvaluationLimits;
import io.soma.streams.topologies.policy.ExamplePolicy;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.PolicyMetrics;
import io.soma.streams.topologies.policy.RulePack;
import io.soma.streams.topologies.policy.TrustedKey;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.Base64;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one instance runs, started in dependency order and stopped in reverse: the embedded stack
 * (demo), schema registration, topics, Redis and PostgreSQL, the Streams apps, the edge, the replayer.
 */
public final class SomaProcess implements AutoCloseable {
    private static final int MIN_PEER_SECRET_LENGTH = 32;
    private static final Logger log = LoggerFactory.getLogger(SomaProcess.class);

    private final Deque<AutoCloseable> started;
    private final EdgeServer edge;
    private final ManagementServer management;
    private final PeerServer peer;
    private final SomaConfig config;

    private SomaProcess(Deque<AutoCloseable> started, EdgeServer edge, ManagementServer management, PeerServer peer,
                        SomaConfig config) {
        this.started = started;
        this.edge = edge;
        this.management = management;
        this.peer = peer;
        this.config = config;
    }

    public static SomaProcess start(SomaConfig initial) {
        long begin = System.nanoTime();
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            SomaConfig config = initial;
            if (config.embeddedStack()) {
                LocalStack stack = LocalStack.start(config.dataDir().resolve("stack"),
                        config.embeddedKafkaPort(), config.embeddedRegistryPort(), Map.of());
                started.push(stack);
                config = config.withStack(stack.bootstrapServers(), stack.schemaRegistryUrl());
            }
            SchemaRegistryClient registry = new SchemaRegistryClient(config.schemaRegistryUrl());
            // the registry may have lost its schemas (the local one keeps them in memory): register at every start
            new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
            TopicProvisioner.ensure(config.bootstrapServers(), Topics.provisioned(),
                    config.topicPartitions(), config.topicReplicationFactor());

            RedisConnection redis = new RedisConnection(config.redisUrl());
            started.push(redis);
            PostgresPool postgres = new PostgresPool(config.jdbcUrl(), config.postgresUser(),
                    config.postgresPassword(), config.postgresPoolSize());
            started.push(postgres);

            PrometheusRegistry metrics = new PrometheusRegistry();
            JvmMetrics.builder().register(metrics);
            KafkaProducer<String, SpecificRecord> producer = edgeProducer(config, registry);
            started.push(producer);

            IdentitySettings identity = IdentitySettings.from(config.settings());
            IdentityStore identities = new IdentityStore(postgres.dataSource(), identity.postgresSchema());
            identities.migrate();
            identity.bootstrapAdmin().ifPresent(a -> identities.bootstrapAdmin(a.tenant(), a.subject(), a.apiKey()));
            if (config.replayEnabled()) {
                // the demo's data belongs to one tenant per dataset: each exists with an admin user, so a platform
                // operator can issue a token that reads that tenant's data, and only that
                ReplayPlan.TENANTS.forEach(tenant -> ensureTenant(identities, tenant));
            }
            SigningKeys signingKeys = new SigningKeys(redis.jedis(), config.redisKeyPrefix(), identity.keySeal(),
                    identity.lifetime(), Clock.systemUTC());
            // tokens carry the constitution hash active when they are issued (known once the policy app runs)
            AtomicReference<PolicyApp.ActivePolicies> activePolicies = new AtomicReference<>();
            KafkaIdentityAuditSink identityAudit = new KafkaIdentityAuditSink(producer);
            TokenService tokens = new TokenService(signingKeys, redis.jedis(), config.redisKeyPrefix(),
                    identityAudit, () -> activeGlobalHash(activePolicies.get()),
                    identity.lifetime(), Clock.systemUTC());
            AuthHandler auth = new AuthHandler(tokens);
            started.push(scheduleKeyRotation(signingKeys, identity.keyRotationPeriod()));

            List<ReadinessCheck> checks = new ArrayList<>();
            checks.add(check("redis", redis::problem));
            checks.add(check("postgres", postgres::problem));
            KafkaReachability kafka = new KafkaReachability(config.bootstrapServers());
            started.push(kafka);
            checks.add(kafka);

            // the peer listener's port is this instance's application.server, so it is fixed before the apps start
            int configuredPeerPort = config.settings().integer("edge.peer.port");
            int peerPort = configuredPeerPort == 0 ? FreePort.onLoopback() : configuredPeerPort;
            String advertised = config.advertisedAddress().endsWith(":0")
                    ? config.edgeHost() + ":" + peerPort : config.advertisedAddress();
            String peerCredential = peerCredential(config);
            StoreQueryService queries = new StoreQueryService(HostInfo.buildFromEndpoint(advertised),
                    Duration.ofSeconds(5), peerCredential);
            StoreLookups stores = new StoreLookups(queries);
            PeerServer peer = PeerServer.start(config.edgeHost(), peerPort, peerCredential, stores);
            started.push(peer);
            StreamsSettings streamsSettings = new StreamsSettings(config.bootstrapServers(), config.schemaRegistryUrl(),
                    config.stateDir(), config.processingGuarantee(), config.standbyReplicas(), config.commitIntervalMs(),
                    config.streamThreads(), advertised);
            AppSerdes serdes = new AppSerdes(registry);
            Map<String, KafkaStreams> apps = new LinkedHashMap<>();

            RunningApp training = launch(TrainingApp.APPLICATION_ID, TrainingApp.build(trainingConfig(config), serdes),
                    streamsSettings, started, checks, apps);
            queries.registerKeyValueStore(TrainingApp.LOCK_STORE, training.streams(), StoreTenancy.keyedByTenant(),
                    (TrainingModeState s) -> TrainingHandlers.view(s.getTenant(), s.getLock()));
            ReplyWaiter<TrainingAudit> trainingReplies = new ReplyWaiter<>(config.bootstrapServers(),
                    Topics.TRAINING_AUDIT.name(), serdes.value(Topics.TRAINING_AUDIT).deserializer(),
                    TrainingAudit::getCommandId);
            started.push(trainingReplies);
            TrainingLockMirror trainingMirror = new TrainingLockMirror(config.bootstrapServers(),
                    Topics.TRAINING_STATE.name(), serdes.value(Topics.TRAINING_STATE).deserializer(), redis.jedis(),
                    config.redisKeyPrefix(), Duration.ofSeconds(2));
            started.push(trainingMirror);
            GaugeWithCallback.builder().name("training_mode_state").help("1 while the tenant is in training mode")
                    .labelNames("tenant")
                    .callback(cb -> trainingMirror.states().forEach((tenant, on) -> cb.call(on ? 1 : 0, tenant)))
                    .register(metrics);
            CounterWithCallback.builder().name("training_mirror_redis_failures_total")
                    .help("Writes of training:lock:* to Redis that failed (retried; Redis is only a mirror)")
                    .callback(cb -> cb.call(trainingMirror.redisFailures())).register(metrics);

            ArchiveRunner archive = new ArchiveRunner(config.bootstrapServers(), registry, postgres.dataSource(),
                    config.settings().string("archive.postgres.schema"), metrics);
            started.push(archive);
            checks.add(check("audit-archive", archive::problem));
            RateLimit tenantLimit = RateLimit.perSecond(config.settings().integer("ratelimit.tenant.per.second"))
                    .withBurst(config.settings().integer("ratelimit.tenant.burst"));
            RedisRateLimiter limiter = new RedisRateLimiter(redis.jedis(),
                    config.redisKeyPrefix() + RedisRateLimiter.DEFAULT_PREFIX, tenant -> tenantLimit);
            CounterWithCallback.builder().name("ratelimit_failed_open_total")
                    .help("Requests let through unlimited because Redis did not answer the rate limiter")
                    .callback(cb -> cb.call(limiter.failedOpen())).register(metrics);

            ConstitutionVerifier constitutionVerifier = new ConstitutionVerifier(trustedKeys(config),
                    config.settings().bool("constitution.accept.document.only.signatures")
                            ? ConstitutionVerifier.DocumentOnlySignatures.ACCEPT : ConstitutionVerifier.DocumentOnlySignatures.REFUSE);
            if (config.settings().bool("policy.load.examples")) {
                loadExamplePolicy(producer);
            }
            // one set of limits for the stream and /v1/evaluate, so both decide alike
            EvaluationLimits evaluationLimits = new EvaluationLimits(config.settings().integer("policy.max.text.chars"),
                    config.settings().integer("policy.evaluation.regex.reads"));
            RunningApp policy = launch(PolicyApp.APPLICATION_ID, PolicyApp.build(
                            new PolicyApp.Config(constitutionVerifier, new PolicyMetrics(metrics), evaluationLimits), serdes),
                    streamsSettings, started, checks, apps);
            PolicyApp.ActivePolicies edgePolicies = new PolicyApp.ActivePolicies(constitutionVerifier, evaluationLimits).attach(
                    key -> globalStore(policy.streams(), PolicyApp.ACTIVE_CONSTITUTIONS).get(key),
                    key -> globalStore(policy.streams(), PolicyApp.RULE_PACKS).get(key));
            activePolicies.set(edgePolicies);
            ConstitutionHashMirror constitutionMirror = new ConstitutionHashMirror(config.bootstrapServers(),
                    Topics.CONSTITUTION_ACTIVE.name(), serdes.value(Topics.CONSTITUTION_ACTIVE).deserializer(),
                    redis.jedis(), config.redisKeyPrefix(), Duration.ofSeconds(2));
            started.push(constitutionMirror);
            CounterWithCallback.builder().name("constitution_mirror_redis_failures_total")
                    .help("Writes of constitution:* to Redis that failed (retried; Redis is only a mirror)")
                    .callback(cb -> cb.call(constitutionMirror.redisFailures())).register(metrics);
            ReplyWaiter<RulePackReply> rulePackReplies = new ReplyWaiter<>(config.bootstrapServers(),
                    Topics.POLICY_RULEPACK_REPLIES.name(), serdes.value(Topics.POLICY_RULEPACK_REPLIES).deserializer(),
                    RulePackReply::getRequestId);
            started.push(rulePackReplies);
            ReplyWaiter<PolicyDecision> decisionReplies = new ReplyWaiter<>(config.bootstrapServers(),
                    Topics.POLICY_DECISIONS.name(), serdes.value(Topics.POLICY_DECISIONS).deserializer(),
                    PolicyDecision::getEventId);
            started.push(decisionReplies);
            SseHub.Settings sse = new SseHub.Settings(config.settings().integer("sse.client.queue"),
                    config.settings().duration("sse.keepalive"), config.settings().integer("sse.resume.max.records"),
                    new SseAdmission(config.settings().integer("sse.max.streams.per.tenant"),
                            config.settings().integer("sse.max.streams")));
            SseHub sessionStreams = new SseHub("conversation", config.bootstrapServers(),
                    ConversationHandlers.sessionSource(serdes.value(Topics.CONVERSATION_EVENTS).deserializer(),
                            serdes.value(Topics.POLICY_DECISIONS).deserializer()), sse);
            started.push(sessionStreams);
            Duration replyTimeout = config.settings().duration("edge.reply.timeout");

            ForecastApp.Config forecastConfig = new ForecastApp.Config(config.settings().duration("forecast.window"),
                    config.settings().duration("forecast.grace"), config.settings().integer("forecast.horizon.hours"),
                    PriceTable.parse(config.settings().string("forecast.prices")), new ForecastMetrics(metrics));
            RunningApp forecast = launch(ForecastApp.APPLICATION_ID, ForecastApp.build(forecastConfig, serdes),
                    streamsSettings, started, checks, apps);
            queries.registerGroupedStore(ForecastApp.FORECASTER_STORE, forecast.streams(), StoreTenancy.keyedByTenant(),
                    ForecastHandlers::view);

            SlmApp.Config slmConfig = SlmApp.Config.fromSettings(config.settings()::duration,
                    config.settings().withPrefix("slm.alerts"), new SlmGauges(metrics));
            RunningApp slmApp = launch(SlmApp.APPLICATION_ID, SlmApp.build(slmConfig, serdes), streamsSettings,
                    started, checks, apps);
            // per model and provider, over every tenant's calls
            queries.registerWindowStore(SlmApp.MINUTE_WINDOWS, slmApp.streams(), slmConfig.windowSize(),
                    StoreTenancy.shared(), SlmHandlers::windowView);
            queries.registerWindowStore(SlmApp.HOPPING_WINDOWS, slmApp.streams(), slmConfig.hoppingSize(),
                    StoreTenancy.shared(), SlmHandlers::windowView);
            SlmHandlers slm = SlmHandlers.start(stores, config.bootstrapServers(),
                    serdes.value(Topics.SLM_ALERTS).deserializer(), sse, config.settings().duration("slm.query.max.range"));
            started.push(slm);

            metrics.register(new KafkaStreamsCollector(apps));
            EdgeMetrics edgeMetrics = new EdgeMetrics(metrics);
            HealthHandler health = new HealthHandler(checks);
            MetricsHandler scrape = new MetricsHandler(metrics);
            // empty: no management listener, /metrics stays on the public port
            String managementPort = config.settings().stringOrNull("edge.management.port");
            EdgeRoutes routes = new EdgeRoutes(auth, new RateLimitHandler(limiter),
                    new PolicyHandlers(edgePolicies, constitutionVerifier, producer, rulePackReplies, replyTimeout),
                    new ConversationHandlers(producer, decisionReplies, sessionStreams, replyTimeout),
                    health, managementPort == null ? Optional.of(scrape) : Optional.empty(),
                    new TokenRoutes(tokens, identities, auth),
                    new AuditHandlers(new DecisionArchiveQuery(postgres.dataSource(),
                            config.settings().string("archive.postgres.schema"))),
                    new TrainingHandlers(producer, trainingReplies, stores, replyTimeout), slm,
                    new ForecastHandlers(stores, forecastConfig.prices(), forecastConfig.horizonHours()),
                    new TenantHandlers(identities, identityAudit));
            EdgeServer edge = EdgeServer.start(config.edgeHost(), config.edgePort(), routes, edgeMetrics);
            started.push(edge);
            ManagementServer management = null;
            if (managementPort != null) {
                management = ManagementServer.start(config.settings().string("edge.management.host"),
                        config.settings().integer("edge.management.port"), health, scrape);
                started.push(management);
            }

            if (config.replayEnabled()) {
                started.push(startReplay(config, registry));
            }
            log.info("started in {} ms; edge on http://{}:{}", (System.nanoTime() - begin) / 1_000_000,
                    config.edgeHost(), edge.port());
            return new SomaProcess(started, edge, management, peer, config);
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    public int edgePort() {
        return edge.port();
    }

    /** The management listener's port; empty when {@code edge.management.port} is not set. */
    public Optional<Integer> managementPort() {
        return Optional.ofNullable(management).map(ManagementServer::port);
    }

    /** Where other instances ask this one for store entries: not the public API. */
    public int peerPort() {
        return peer.port();
    }

    /** The edge's registered routes. */
    public List<EdgeServer.Route> routes() {
        return edge.routes();
    }

    public SomaConfig config() {
        return config;
    }

    @Override
    public void close() {
        closeAll(started);
    }

    /** {@code constitution.trusted.keys}: {@code keyId=public-key.pem,...}, or {@code example} for the demo key. */
    /** The user each replayed dataset's tenant gets in the demo; it has no API key. */
    public static final String DEMO_TENANT_ADMIN = "demo-admin";

    private static void ensureTenant(IdentityStore identities, String tenant) {
        try {
            identities.createTenant(tenant, null);
        } catch (IdentityStore.TenantExistsException e) {
            // created by an earlier start
        }
        identities.saveUser(new Identity(tenant, DEMO_TENANT_ADMIN, Capability.tenantAdmin()));
    }

    /**
     * The secret instances present to each other's peer listener. A deployment sets one for all its instances; only
     * the embedded demo, a single instance by design, may go without, and gets a random one.
     */
    static String peerCredential(SomaConfig config) {
        String secret = config.settings().stringOrNull("edge.peer.secret");
        if (secret == null) {
            if (!config.embeddedStack()) {
                throw new Settings.ConfigException("edge.peer.secret (env " + Settings.envName("edge.peer.secret")
                        + ") is required: the secret every instance presents to the others' peer listener");
            }
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        }
        if (secret.length() < MIN_PEER_SECRET_LENGTH) {
            throw new Settings.ConfigException("edge.peer.secret must be at least " + MIN_PEER_SECRET_LENGTH
                    + " characters of random text");
        }
        return secret;
    }

    private static List<TrustedKey> trustedKeys(SomaConfig config) {
        String configured = config.settings().string("constitution.trusted.keys");
        List<TrustedKey> keys = new ArrayList<>();
        for (String entry : configured.split(",")) {
            String item = entry.trim();
            if (item.isEmpty()) {
                continue;
            }
            if (item.equals("example")) {
                keys.add(ExamplePolicy.trustedKey());
                continue;
            }
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new Settings.ConfigException("constitution.trusted.keys entries are keyId=path-to-public-key.pem, got '"
                        + item + "'");
            }
            keys.add(TrustedKey.fromPemFile(item.substring(0, eq).trim(), Path.of(item.substring(eq + 1).trim())));
        }
        if (keys.isEmpty()) {
            log.warn("no constitution signing key is trusted (constitution.trusted.keys): every bundle will be refused");
        }
        return keys;
    }

    /** The demo's signed example constitution and example rule pack (tenant xstest), documented in docs/policy.md. */
    private static void loadExamplePolicy(KafkaProducer<String, SpecificRecord> producer) {
        try {
            producer.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), Constitution.GLOBAL_SCOPE,
                    PolicyAvro.bundle(ExamplePolicy.bundle()))).get(30, TimeUnit.SECONDS);
            RulePack pack = ExamplePolicy.rulePack();
            producer.send(new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), pack.tenant(), PolicyAvro.rulePack(pack)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the example policy: " + e.getMessage(), e);
        }
    }

    private static String activeGlobalHash(PolicyApp.ActivePolicies policies) {
        try {
            ConstitutionBundle active = policies == null ? null : policies.constitutionFor(Constitution.GLOBAL_SCOPE);
            return active == null ? null : active.getHash();
        } catch (ApiException notReadyYet) {
            return null;
        }
    }

    private static ReadOnlyKeyValueStore<String, Object> globalStore(KafkaStreams streams, String name) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
        } catch (InvalidStateStoreException e) {
            throw ApiException.notReady("the policy stores are not ready yet: " + e.getMessage());
        }
    }

    /** Starts a Streams app, to be stopped with the process, ready when RUNNING, its metrics exported. */
    private static RunningApp launch(String applicationId, Topology topology, StreamsSettings settings,
                                     Deque<AutoCloseable> started, List<ReadinessCheck> checks,
                                     Map<String, KafkaStreams> apps) {
        RunningApp app = RunningApp.start(applicationId, topology, settings);
        started.push(app);
        checks.add(app);
        apps.put(applicationId, app.streams());
        return app;
    }

    private static TrainingApp.Config trainingConfig(SomaConfig config) {
        return new TrainingApp.Config(config.settings().duration("training.ttl.default"),
                config.settings().duration("training.ttl.max"), config.settings().duration("training.expiry.check"));
    }

    /** One idempotent producer for what the edge itself publishes (commands, steps, identity audit). */
    private static KafkaProducer<String, SpecificRecord> edgeProducer(SomaConfig config, SchemaRegistryClient registry) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 1,
                // a send with no metadata for its topic blocks the HTTP request; not longer than a reply may take
                ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) config.settings().duration("edge.reply.timeout").toMillis(),
                ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, TraceparentInterceptor.class.getName()),
                new StringSerializer(), new AvroSerializer<>(registry, false, true));
    }

    /** Checks hourly whether the signing key is due for rotation; every instance may, they agree in Redis. */
    private static AutoCloseable scheduleKeyRotation(SigningKeys keys, Duration period) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "signing-key-rotation");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                keys.rotateIfOlderThan(period);
            } catch (RuntimeException e) {
                log.warn("signing key rotation check failed (will retry): {}", e.getMessage());
            }
        }, 0, 1, TimeUnit.HOURS);
        return timer::shutdownNow;
    }

    private static AutoCloseable startReplay(SomaConfig config, SchemaRegistryClient registry) {
        // the trace is placed so that it ends as the replay does: every event time is in the past when sent
        // (the broker flags future timestamps), and it keeps the trace's own spacing
        List<ReplayPlan.Scheduled> plan = ReplayPlan.build(config.datasetsDir(), Instant.EPOCH);
        Duration span = plan.isEmpty() ? Duration.ZERO : plan.get(plan.size() - 1).at();
        Instant start = Instant.now().minus(span).plusNanos((long) (span.toNanos() / config.replaySpeed()));
        plan.forEach(s -> s.event().setTimestamp(start.plus(s.at())));
        KafkaProducer<String, ConversationEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                Topics.CONVERSATION_EVENTS.keySerde().serializer(),
                Topics.CONVERSATION_EVENTS.valueSerde(registry).serializer());
        Replayer replayer = new Replayer(producer, Topics.CONVERSATION_EVENTS.name(), plan, config.replaySpeed());
        return new ReplayHandle(replayer.start(), producer);
    }

    private record ReplayHandle(Replayer replayer, KafkaProducer<?, ?> producer) implements AutoCloseable {
        @Override
        public void close() {
            replayer.close();
            producer.close();
        }
    }

    private static ReadinessCheck check(String name, java.util.function.Supplier<String> problem) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String problem() {
                return problem.get();
            }
        };
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("stopping {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
