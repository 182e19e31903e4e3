package io.soma.streams.edge.slice;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.devstack.FreePort;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.health.KafkaReachability;
import io.soma.streams.edge.health.ReadinessCheck;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.edge.query.PeerCredentials;
import io.soma.streams.edge.query.PeerServer;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.edge.sse.SseAdmission;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.sse.SseSource;
import io.soma.streams.edge.trace.TraceparentInterceptor;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.archive.PostgresPool;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.stores.redis.RedisConnection;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.HostInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What every slice of one process shares, started before the first slice and closed after the last: schemas and
 * topics, Redis, PostgreSQL, the metrics registry, the edge's producer, the store query service with its peer
 * listener, and the settings of Streams apps and SSE. Slices add their readiness checks and Streams apps here, so
 * health and metrics see every slice.
 */
public final class Platform implements AutoCloseable {
    private final Closer closer = new Closer();
    private final List<ReadinessCheck> checks = new ArrayList<>();
    private final Map<String, KafkaStreams> apps = new LinkedHashMap<>();
    private SomaConfig config;
    private SchemaRegistryClient registry;
    private AppSerdes serdes;
    private RedisConnection redis;
    private PostgresPool postgres;
    private PostgresPool postgresRequests;
    private PrometheusRegistry metrics;
    private KafkaProducer<String, SpecificRecord> producer;
    private StoreQueryService queries;
    private StoreLookups stores;
    private PeerServer peer;
    private StreamsSettings streamsSettings;
    private SseHub.Settings sse;
    private final List<SseHub> hubs = new CopyOnWriteArrayList<>();
    /** How long a stream's client may take to read the {@code end} event of a stop before its stream is cut. */
    private static final Duration STREAMS_STOP_PATIENCE = Duration.ofSeconds(2);

    private Platform() {
    }

    /**
     * Registers the schemas, creates the topics and connects to what every slice needs. {@code peerCredentials}
     * are the secret this instance presents to the others' peer listeners and those its own accepts.
     */
    public static Platform start(SomaConfig config, PeerCredentials peerCredentials) {
        Platform p = new Platform();
        try {
            p.config = config;
            p.registry = new SchemaRegistryClient(config.schemaRegistryUrl());
            // the registry may have lost its schemas (the local one keeps them in memory): register at every start
            new SchemaRegistrar(p.registry).registerAll(Topics.valueSchemas());
            TopicProvisioner.ensure(config.bootstrapServers(), Topics.provisioned(),
                    config.topicPartitions(), config.topicReplicationFactor());
            p.serdes = new AppSerdes(p.registry);

            p.redis = p.closer.own(new RedisConnection(config.redisUrl()));
            p.check("redis", p.redis::problem);
            p.postgres = p.closer.own(new PostgresPool(config.jdbcUrl(), config.postgresUser(),
                    config.postgresPassword(), config.postgresPoolSize(),
                    config.settings().duration("postgres.socket.timeout")));
            p.check("postgres", p.postgres::problem);
            // requests get a pool of their own with a short socket timeout: behind a network partition the archive's
            // 5 minutes would hold each request that long, and the four connections would refuse every other one
            p.postgresRequests = p.closer.own(new PostgresPool("soma-postgres-requests", config.jdbcUrl(),
                    config.postgresUser(), config.postgresPassword(), config.postgresPoolSize(),
                    config.settings().duration("postgres.request.timeout")));
            p.checks.add(p.closer.own(new KafkaReachability(config.bootstrapServers())));

            p.metrics = new PrometheusRegistry();
            JvmMetrics.builder().register(p.metrics);
            p.producer = p.closer.own(edgeProducer(config, p.registry));

            // the peer listener's port is this instance's application.server, so it is fixed before the apps start
            int configuredPeerPort = config.settings().integer("edge.peer.port");
            int peerPort = configuredPeerPort == 0 ? FreePort.onLoopback() : configuredPeerPort;
            String advertised = config.advertisedAddress().endsWith(":0")
                    ? config.edgeHost() + ":" + peerPort : config.advertisedAddress();
            p.queries = new StoreQueryService(HostInfo.buildFromEndpoint(advertised), Duration.ofSeconds(5),
                    peerCredentials.presented());
            p.stores = new StoreLookups(p.queries);
            p.peer = p.closer.own(PeerServer.start(config.edgeHost(), peerPort, peerCredentials.accepted(), p.stores));
            p.streamsSettings = new StreamsSettings(config.bootstrapServers(), config.schemaRegistryUrl(),
                    config.stateDir(), config.processingGuarantee(), config.standbyReplicas(),
                    config.commitIntervalMs(), config.streamThreads(), advertised,
                    StreamsSettings.commitIntervalsByApp(config.settings()),
                    StreamsSettings.producerBatchSizesByApp(config.settings()),
                    config.settings().integer("streams.rocksdb.memory.mb"));
            p.sse = new SseHub.Settings(config.settings().integerAtLeast("sse.client.queue", 1),
                    config.settings().integerAtLeast("sse.client.queue.bytes", 1),
                    config.settings().duration("sse.keepalive"),
                    config.settings().integerAtLeast("sse.resume.max.records", 0),
                    new SseAdmission(config.settings().integer("sse.max.streams.per.tenant"),
                            config.settings().integer("sse.max.streams")));
            return p;
        } catch (RuntimeException | Error e) {
            p.close();
            throw e;
        }
    }

    /**
     * Starts a Streams app, owned by {@code owner} (the slice stops it), ready when RUNNING, its metrics exported.
     */
    public RunningApp launch(String applicationId, Topology topology, Closer owner) {
        RunningApp app = owner.own(RunningApp.start(applicationId, topology, streamsSettings));
        checks.add(app);
        apps.put(applicationId, app.streams());
        return app;
    }

    /** Waits for replies on {@code topic}, matched to requests by {@code correlationId}; owned by {@code owner}. */
    public <V extends SpecificRecord> ReplyWaiter<V> replies(Topics.Topic<V> topic, Function<V, String> correlationId,
                                                             Closer owner) {
        return owner.own(new ReplyWaiter<>(config.bootstrapServers(), topic.name(),
                serdes.value(topic).deserializer(), correlationId));
    }

    /** Readiness also depends on {@code name}: {@code problem} answers null when it is fine, else why not. */
    public void check(String name, Supplier<String> problem) {
        check(name, problem, () -> null);
    }

    /**
     * {@link #check(String, Supplier)}, for a part that cannot recover by itself: {@code failedForGood} answers why
     * it never works again without a restart, or null ({@link ReadinessCheck#failedForGood}).
     */
    public void check(String name, Supplier<String> problem, Supplier<String> failedForGood) {
        checks.add(ReadinessCheck.of(name, problem, failedForGood));
    }

    public SomaConfig config() {
        return config;
    }

    public SchemaRegistryClient registry() {
        return registry;
    }

    public AppSerdes serdes() {
        return serdes;
    }

    public RedisConnection redis() {
        return redis;
    }

    /**
     * For work that may take long (the audit archive, migrations, the identity store's preparation):
     * {@code postgres.socket.timeout}.
     */
    public PostgresPool postgres() {
        return postgres;
    }

    /** For what a request reads and writes (identities, archive queries): {@code postgres.request.timeout}. */
    public PostgresPool postgresRequests() {
        return postgresRequests;
    }

    public PrometheusRegistry metrics() {
        return metrics;
    }

    /** One idempotent producer for what the edge itself publishes (commands, steps, audits). */
    public KafkaProducer<String, SpecificRecord> producer() {
        return producer;
    }

    /** Where slices register the stores the edge reads, with their tenancy. */
    public StoreQueryService queries() {
        return queries;
    }

    /** Reads of registered stores, local or on the instance that holds the key, for the caller's tenant. */
    public StoreLookups stores() {
        return stores;
    }

    /**
     * An SSE hub of {@code source}, closed with {@code owner}; readiness depends on its reader, whose end would leave
     * the streams it serves without events.
     */
    public SseHub sseHub(String name, SseSource source, Closer owner) {
        SseHub hub = owner.own(new SseHub(name, config.bootstrapServers(), source, sse));
        hubs.add(hub);
        // a hub's problem is its reader stopped, which nothing restarts
        check("sse-" + name, hub::problem, hub::problem);
        return hub;
    }

    /**
     * Ends the open SSE streams of every hub, each with an {@code end} event saying this instance is stopping, and
     * refuses new ones: before the edge's listener stops, which waits for the requests in progress.
     */
    public void stopStreams() {
        hubs.forEach(SseHub::stopServing);
        // the end events go out together: a client that reads nothing meanwhile is cut without its event
        long until = System.nanoTime() + STREAMS_STOP_PATIENCE.toNanos();
        while (hubs.stream().anyMatch(hub -> hub.clientCount() > 0) && System.nanoTime() - until < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        hubs.forEach(SseHub::endStreams);
    }

    /** What the apps this platform launches run with. */
    public StreamsSettings streamsSettings() {
        return streamsSettings;
    }

    /** How long a request waits for the reply of a Streams app. */
    public Duration replyTimeout() {
        return config.settings().duration("edge.reply.timeout");
    }

    /** Where other instances ask this one for store entries: not the public API. */
    public int peerPort() {
        return peer.port();
    }

    public List<ReadinessCheck> checks() {
        return Collections.unmodifiableList(checks);
    }

    /** Every Streams app the slices launched, by application id. */
    public Map<String, KafkaStreams> apps() {
        return Collections.unmodifiableMap(apps);
    }

    @Override
    public void close() {
        closer.close();
    }

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
}
