package io.soma.streams.edge;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.audit.ArchiveSlice;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.edge.budget.BudgetSlice;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.query.PeerCredentials;
import io.soma.streams.edge.forecast.ForecastSlice;
import io.soma.streams.edge.health.HealthHandler;
import io.soma.streams.edge.http.RateLimitHandler;
import io.soma.streams.edge.metrics.EdgeMetrics;
import io.soma.streams.edge.metrics.KafkaStreamsCollector;
import io.soma.streams.edge.marketplace.MarketplaceSlice;
import io.soma.streams.edge.metrics.MetricsHandler;
import io.soma.streams.edge.policy.ConversationSlice;
import io.soma.streams.edge.policy.PolicySlice;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.edge.slice.StopSignal;
import io.soma.streams.edge.slm.SlmSlice;
import io.soma.streams.edge.training.TrainingSlice;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.ratelimit.RateLimit;
import io.soma.streams.stores.ratelimit.RedisRateLimiter;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.replay.Replayer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything one instance runs, started in dependency order and stopped in reverse: the embedded stack (demo), the
 * {@link Platform} every capability shares, the capabilities of the composition list as {@link Slice}s, the edge and
 * its management listener, the replayer (demo).
 */
public final class SomaProcess implements AutoCloseable {
    /**
     * The capabilities a process runs, in start order: a slice may use those before it (identity takes the active
     * constitution's hash from governance). Adding a capability adds its slice here and its routes to
     * {@link EdgeRoutes}.
     */
    public static final List<Slice.Starter> COMPOSITION = List.of(
            PolicySlice::start,
            IdentitySlice::start,
            // before conversation: a step reserves its estimate through the budget slice
            BudgetSlice::start,
            ConversationSlice::start,
            TrainingSlice::start,
            ForecastSlice::start,
            SlmSlice::start,
            MarketplaceSlice::start,
            ArchiveSlice::start);

    private static final Logger log = LoggerFactory.getLogger(SomaProcess.class);

    private final Closer started;
    private final EdgeServer edge;
    private final ManagementServer management;
    private final Platform platform;
    private final HealthHandler health;
    private final SomaConfig config;

    private SomaProcess(Closer started, EdgeServer edge, ManagementServer management,
                        Platform platform, HealthHandler health, SomaConfig config) {
        this.started = started;
        this.edge = edge;
        this.management = management;
        this.platform = platform;
        this.health = health;
        this.config = config;
    }

    /**
     * Starts the capabilities of {@code composition} only (identity must be one of them: it authenticates every
     * route), with the edge serving their routes: a test starts the one it tests.
     */
    public static SomaProcess start(SomaConfig initial, List<Slice.Starter> composition) {
        return start(initial, composition, StopSignal.manual());
    }

    /**
     * Starts the capabilities of {@code composition}, checking {@code stop} between steps.
     *
     * @throws StopSignal.StoppedWhileStarting when a stop was asked for before the start ended; what had started
     *                                         is closed
     */
    public static SomaProcess start(SomaConfig initial, List<Slice.Starter> composition, StopSignal stop) {
        long begin = System.nanoTime();
        Closer started = new Closer();
        try {
            SomaConfig config = initial;
            if (config.embeddedStack()) {
                stop.checkBefore("the embedded stack");
                LocalStack stack = started.own(LocalStack.start(config.dataDir().resolve("stack"),
                        config.embeddedKafkaPort(), config.embeddedRegistryPort(), Map.of()));
                if (stop.raisedAtJvmExit()) {
                    // at exit, the registry waits for this process's close, which still needs it (its apps' flush)
                    stack.ownerClosesAtExit();
                }
                config = config.withStack(stack.bootstrapServers(), stack.schemaRegistryUrl());
            }
            stop.checkBefore("the platform");
            Platform platform = started.own(Platform.start(config, PeerCredentials.from(config)));
            Slices slices = started.own(Slices.start(platform, composition, stop));
            stop.checkBefore("the edge");

            PrometheusRegistry metrics = platform.metrics();
            metrics.register(new KafkaStreamsCollector(platform.apps()));
            RateLimit tenantLimit = RateLimit.perSecond(config.settings().integer("ratelimit.tenant.per.second"))
                    .withBurst(config.settings().integer("ratelimit.tenant.burst"));
            RedisRateLimiter limiter = new RedisRateLimiter(platform.redis().jedis(),
                    config.redisKeyPrefix() + RedisRateLimiter.DEFAULT_PREFIX, tenant -> tenantLimit);
            CounterWithCallback.builder().name("ratelimit_failed_open_total")
                    .help("Requests let through unlimited because Redis did not answer the rate limiter")
                    .callback(cb -> cb.call(limiter.failedOpen())).register(metrics);
            HealthHandler health = new HealthHandler(platform.checks());
            // so an alert can tell an instance that stays unready; /health/ready on the management port says why
            GaugeWithCallback.builder().name("soma_ready").help("1 while every readiness check passes, else 0")
                    .callback(cb -> cb.call(health.isReady() ? 1 : 0)).register(metrics);
            MetricsHandler scrape = new MetricsHandler(metrics);
            String managementPort = config.settings().stringOrNull("edge.management.port");
            boolean publicScrape = MetricsHandler.servedOnPublicPort(config.edgeHost(), managementPort != null);
            if (managementPort == null && !publicScrape) {
                log.warn("/metrics is not served: the public listener on {} is reachable from other hosts and its "
                        + "series name tenants; set edge.management.port to scrape it", config.edgeHost());
            }
            EdgeRoutes routes = new EdgeRoutes(new RateLimitHandler(limiter), health,
                    publicScrape ? Optional.of(scrape) : Optional.empty(), slices);
            EdgeServer edge = started.own(EdgeServer.start(config.edgeHost(), config.edgePort(), routes,
                    new EdgeMetrics(metrics)));
            ManagementServer management = null;
            if (managementPort != null) {
                management = started.own(ManagementServer.start(config.settings().string("edge.management.host"),
                        config.settings().integer("edge.management.port"), health, scrape));
            }

            if (config.replayEnabled()) {
                stop.checkBefore("the replay");
                started.own(startReplay(config, platform.registry()));
            }
            log.info("started in {} ms; edge on http://{}:{}", (System.nanoTime() - begin) / 1_000_000,
                    config.edgeHost(), edge.port());
            return new SomaProcess(started, edge, management, platform, health, config);
        } catch (RuntimeException | Error e) {
            stop.closingAfterFailure();
            started.close();
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
        return platform.peerPort();
    }

    /** The running Streams app of {@code applicationId}: where its stores are, for tests and tools. */
    public KafkaStreams streams(String applicationId) {
        KafkaStreams streams = platform.apps().get(applicationId);
        if (streams == null) {
            throw new IllegalArgumentException("this process runs no app " + applicationId);
        }
        return streams;
    }

    /**
     * The names of the metric families the process registered, with no series yet included: {@code /metrics} shows
     * a labelled family only from its first series on (tests).
     */
    public Set<String> metricFamilies() {
        Set<String> names = new TreeSet<>();
        platform.metrics().scrape().forEach(family -> names.add(family.getMetadata().getPrometheusName()));
        return names;
    }

    /** The edge's registered routes. */
    public List<EdgeServer.Route> routes() {
        return edge.routes();
    }

    public SomaConfig config() {
        return config;
    }

    /**
     * What a SIGTERM does: the process answers not ready at once, keeps serving for {@code edge.shutdown.drain} while
     * load balancers take it out of their pools (Kubernetes removes an endpoint asynchronously, and requests still come
     * meanwhile), then {@link #close}s.
     */
    public void stop() {
        health.stopping();
        Duration drain = config.settings().duration("edge.shutdown.drain");
        if (!drain.isZero()) {
            log.info("not ready; serving for {} s more while load balancers notice", drain.toSeconds());
            try {
                Thread.sleep(drain.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        close();
    }

    /**
     * Ends the SSE streams (each told to resume elsewhere), stops the listeners once the requests in progress are
     * answered, then closes what the start started, in reverse.
     */
    @Override
    public void close() {
        try {
            platform.stopStreams();
        } finally {
            started.close();
        }
    }

    private static AutoCloseable startReplay(SomaConfig config, SchemaRegistryClient registry) {
        // every event time in the past when sent, keeping the trace's own spacing
        List<ReplayPlan.Scheduled> trace = ReplayPlan.build(config.datasetsDir(), Instant.EPOCH);
        Duration span = trace.isEmpty() ? Duration.ZERO : trace.get(trace.size() - 1).at();
        Instant now = Instant.now();
        Instant start = ReplayPlan.start(now, span, config.replaySpeed());
        // every start of the demo replays new traffic, not duplicates of the last run's events
        List<ReplayPlan.Scheduled> plan = ReplayPlan.asRun(trace, "demo" + Long.toString(now.toEpochMilli(), 36), start);
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
}
