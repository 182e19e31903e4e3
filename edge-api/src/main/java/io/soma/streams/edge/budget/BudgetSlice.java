package io.soma.streams.edge.budget;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.soma.streams.avro.BudgetLedger;
import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.BudgetAuditQuery;
import io.soma.streams.stores.kafka.TopicFollower;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.stores.redis.RedisMirror;
import io.soma.streams.topologies.budget.BudgetApp;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Budgets: the budget app and its ledger store, the reservation replies, the gate the step route reserves through
 * ({@link BudgetGate}), the definitions the gate falls back on, the Redis mirror {@code budget:{tenant}/{budget_id}}
 * of {@code budget.status} for gateways, the alert stream and the budget gauges.
 */
public record BudgetSlice(Closer closer, BudgetHandlers handlers, BudgetGate gate) implements Slice {
    /** Redis keys of the status mirror: {@code budget:{tenant}/{budget_id}}, the JSON of the budget's status. */
    public static final String REDIS_PREFIX = "budget:";

    public static BudgetSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            BudgetApp.Config config = BudgetApp.Config.from(platform.config().settings());
            RunningApp app = platform.launch(BudgetApp.APPLICATION_ID, BudgetApp.build(config, platform.serdes()),
                    closer);
            platform.queries().local().registerKeyValueStore(BudgetApp.LEDGER_STORE, app.streams(),
                    StoreTenancy.keyedByTenant(),
                    (BudgetLedger ledger) -> BudgetViews.ledger(ledger, config.ledger(), Instant.now()));
            String bootstrap = platform.config().bootstrapServers();
            var replies = platform.replies(Topics.BUDGET_REPLIES, BudgetReservationReply::getRequestId, closer);
            BudgetDefinitions definitions = closer.own(new BudgetDefinitions(bootstrap,
                    platform.serdes().value(Topics.BUDGET_DEFINITIONS).deserializer()));
            RedisMirror<BudgetStatus> statuses = closer.own(new RedisMirror<>(bootstrap, Topics.BUDGET_STATUS.name(),
                    platform.serdes().value(Topics.BUDGET_STATUS).deserializer(),
                    platform.config().redisKeyPrefix() + REDIS_PREFIX,
                    (status, now) -> Optional.of(new RedisMirror.Mirrored(
                            BudgetViews.json(BudgetViews.status(status)), null)),
                    platform.redis().jedis(), Duration.ofSeconds(2)));
            Map<String, LongAdder> alertsByTenant = new ConcurrentHashMap<>();
            closer.own(new TopicFollower<>(bootstrap, Topics.BUDGET_ALERTS.name(),
                    platform.serdes().value(Topics.BUDGET_ALERTS).deserializer(), TopicFollower.Start.END,
                    r -> alertsByTenant.computeIfAbsent(r.value().getTenant(), t -> new LongAdder())
                            .increment(), () -> { }));
            SseHub alerts = platform.sseHub("budget-alerts",
                    BudgetHandlers.alertSource(platform.serdes().value(Topics.BUDGET_ALERTS).deserializer()), closer);
            BudgetGate gate = new BudgetGate(platform.producer(), replies, definitions, platform.replyTimeout(),
                    config.ledger().reservationTtl());

            GaugeWithCallback.builder().name("budget_spent_ratio")
                    .help("Spend of the current period in parts of the limit (the larger of tokens and USD)")
                    .labelNames("tenant", "budget")
                    .callback(cb -> statuses.latest().values().forEach(s ->
                            cb.call(BudgetViews.spentRatio(s), s.getTenant(), s.getBudgetId())))
                    .register(platform.metrics());
            CounterWithCallback.builder().name("budget_alerts_total")
                    .help("Budget threshold alerts seen on budget.alerts since this instance started")
                    .labelNames("tenant")
                    .callback(cb -> alertsByTenant.forEach((tenant, n) -> cb.call(n.sum(), tenant)))
                    .register(platform.metrics());
            CounterWithCallback.builder().name("budget_failed_open_total")
                    .help("Steps let through unreserved: budget state unreachable, no hard fail-closed budget")
                    .callback(cb -> cb.call(gate.failedOpen())).register(platform.metrics());
            CounterWithCallback.builder().name("budget_mirror_redis_failures_total")
                    .help("Writes of budget:* to Redis that failed (retried; Redis is only a mirror)")
                    .callback(cb -> cb.call(statuses.redisFailures())).register(platform.metrics());
            BudgetAuditQuery audit = new BudgetAuditQuery(platform.postgresRequests().dataSource(),
                    platform.config().settings().string("archive.postgres.schema"));
            return new BudgetSlice(closer, new BudgetHandlers(platform.producer(), platform.stores(), alerts,
                    platform.replyTimeout(), audit), gate);
        });
    }
}
