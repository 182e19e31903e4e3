package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetLedger;
import io.soma.streams.avro.BudgetReservation;
import io.soma.streams.avro.BudgetReservationRequest;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.PunctuationInterval;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The budget app (docs/budgets.md): budget definitions, reservation requests and the tokens of
 * {@code conversation.events} meet in one ledger per tenant, on the tenant's partition, applied in order and
 * exactly once, which is what makes a reservation impossible to race. It answers every request on
 * {@code budget.replies} and publishes {@code budget.status}, {@code budget.audit} and {@code budget.alerts}.
 * <p>
 * Time is wall-clock: a reservation is decided, expired and charged to the period of the moment the app handles
 * it, and a punctuator on wall-clock time expires reservations and resets periods even when no record arrives
 * (stream time would stand still on an idle tenant). A reset is a change of the stored ledger committed with its
 * audit record, so it happens once however often the app restarts.
 */
public final class BudgetApp {
    public static final String APPLICATION_ID = "soma-budget";
    public static final String LEDGER_STORE = "budget-ledgers";
    /** The open reservations, one entry each ({@link StoredReservations}). */
    public static final String RESERVATION_STORE = "budget-reservations";
    /**
     * The ledgers by the next time the punctuator has something to do for them ({@link TenantLedger#nextDue}), keyed
     * {@code <due epoch ms, 19 digits>/<tenant>}, so that a check reads only the ledgers that came due.
     */
    public static final String DUE_STORE = "budget-due";
    /** Reservations closed lately, so a request repeated after its reservation closed is not reserved again. */
    public static final String CLOSED_STORE = "budget-closed-reservations";
    /** Usage events counted lately, so an event delivered twice is not counted twice. */
    public static final String COUNTED_STORE = "budget-counted-events";
    private static final char KEY_SEPARATOR = '/';
    private static final Logger log = LoggerFactory.getLogger(BudgetApp.class);

    /**
     * @param ledger          prices, reservation TTL and the default completion estimate
     * @param checkInterval   how often the punctuator looks for expired reservations and ended periods
     * @param repeatWindow    how long closed reservations and counted events are remembered, so that a request or an
     *                        event delivered again within it is not counted again
     */
    public record Config(LedgerSettings ledger, Duration checkInterval, Duration repeatWindow) {
        public Config {
            PunctuationInterval.checked("budget.check.interval", checkInterval);
            if (repeatWindow.isZero() || repeatWindow.isNegative()) {
                // a window of 0 would remember nothing, and no repeat would be recognised
                throw new IllegalArgumentException("budget.repeat.window must be positive, got " + repeatWindow);
            }
        }

        public static Config defaults() {
            return new Config(new LedgerSettings(PriceTable.defaults(), Duration.ofMinutes(5), 1024),
                    Duration.ofSeconds(1), Duration.ofHours(24));
        }

        /** Prices are the forecasts' ({@code forecast.prices}): one price table for what is projected and charged. */
        public static Config from(Settings settings) {
            return new Config(new LedgerSettings(PriceTable.parse(settings.string("forecast.prices")),
                    settings.duration("budget.reservation.ttl"),
                    settings.integer("budget.default.max.completion.tokens")),
                    settings.duration("budget.check.interval"), settings.duration("budget.repeat.window"));
        }
    }

    /** What reaches the ledger: a definition (null when deleted) under its topic key, a request, or usage. */
    sealed interface Input {
        record Definition(String key, BudgetDefinition definition) implements Input {
        }

        record Request(BudgetReservationRequest request) implements Input {
        }

        record Response(ConversationEvent event) implements Input {
        }
    }

    /** A record for one of the output topics; a null value is a tombstone. */
    record Output(Topics.Topic<?> topic, SpecificRecord value) {
    }

    private BudgetApp() {
    }

    /** The key of a budget on {@code budget.definitions} and {@code budget.status}. */
    public static String budgetKey(String tenant, String budgetId) {
        return tenant + KEY_SEPARATOR + budgetId;
    }

    /** The tenant part of a budget key; budget ids hold no '/', tenants may. */
    static String tenantOf(String budgetKey) {
        int at = budgetKey.lastIndexOf(KEY_SEPARATOR);
        if (at <= 0) {
            throw new IllegalArgumentException("budget key must be tenant/budget_id, got " + budgetKey);
        }
        return budgetKey.substring(0, at);
    }

    public static Topology build(Config config, AppSerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LEDGER_STORE),
                Serdes.String(), serdes.storeValue(BudgetLedger.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RESERVATION_STORE),
                Serdes.String(), serdes.storeValue(BudgetReservation.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DUE_STORE),
                Serdes.String(), Serdes.String()));
        // the retention is the window: older entries go with their segment, nobody scans for them
        builder.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(CLOSED_STORE,
                config.repeatWindow(), config.repeatWindow(), false),
                Serdes.String(), serdes.storeValue(BudgetReservation.class)));
        builder.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(COUNTED_STORE,
                config.repeatWindow(), config.repeatWindow(), false), Serdes.String(), Serdes.Long()));
        var definitionSerde = serdes.value(Topics.BUDGET_DEFINITIONS);
        var requestSerde = serdes.value(Topics.BUDGET_RESERVATIONS);
        var eventSerde = serdes.value(Topics.CONVERSATION_EVENTS);

        // definitions keep their tenant/budget key, so a tombstone still says which budget went, and are
        // partitioned by the tenant part: the same partition as the tenant's requests and usage
        KStream<String, Input> definitions = builder
                .stream(Topics.BUDGET_DEFINITIONS.name(), Consumed.with(Serdes.String(), definitionSerde))
                .repartition(Repartitioned.with(Serdes.String(), definitionSerde).withName("definitions-by-tenant")
                        .withStreamPartitioner(new ByTenantOfBudgetKey()))
                .mapValues((key, definition) -> new Input.Definition(key, definition));
        KStream<String, BudgetReservationRequest> requests = builder
                .stream(Topics.BUDGET_RESERVATIONS.name(), Consumed.with(Serdes.String(), requestSerde));
        // the edge keys requests by tenant; one keyed otherwise takes a detour so its tenant's ledger stays whole
        KStream<String, Input> requestsByTenant = requests
                .filter((key, r) -> r != null && r.getTenant().equals(key))
                .merge(requests.filter((key, r) -> r != null && !r.getTenant().equals(key))
                        .selectKey((key, r) -> EventNames.tenant(r.getTenant()))
                        .repartition(Repartitioned.with(Serdes.String(), requestSerde).withName("requests-by-tenant")))
                .mapValues(Input.Request::new);
        KStream<String, Input> usage = builder
                .stream(Topics.CONVERSATION_EVENTS.name(), Consumed.with(Serdes.String(), eventSerde))
                .filter((session, e) -> e != null && Usage.reportsTokens(e))
                // a tenant too long to key by is refused (dead-lettered) before the repartition
                .selectKey((session, e) -> EventNames.require(e).getTenant())
                .repartition(Repartitioned.with(Serdes.String(), eventSerde).withName("usage-by-tenant"))
                .mapValues(Input.Response::new);

        KStream<String, Output> outputs = definitions.merge(requestsByTenant).merge(usage)
                .process(() -> new LedgerProcessor(config), LEDGER_STORE, RESERVATION_STORE, DUE_STORE,
                        CLOSED_STORE, COUNTED_STORE);
        sink(outputs, Topics.BUDGET_REPLIES, serdes);
        sink(outputs, Topics.BUDGET_STATUS, serdes);
        sink(outputs, Topics.BUDGET_AUDIT, serdes);
        sink(outputs, Topics.BUDGET_ALERTS, serdes);
        return builder.build();
    }

    private static <V extends SpecificRecord> void sink(KStream<String, Output> outputs, Topics.Topic<V> topic,
                                                        AppSerdes serdes) {
        outputs.filter((key, out) -> out.topic() == topic)
                .mapValues(out -> topic.valueType().cast(out.value()))
                .to(topic.name(), Produced.with(Serdes.String(), serdes.value(topic)));
    }

    /** Partitions a {@code tenant/budget_id} key as the default partitioner would partition the tenant alone. */
    static final class ByTenantOfBudgetKey implements StreamPartitioner<String, BudgetDefinition> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, BudgetDefinition value, int partitions) {
            byte[] tenant = tenantOf(key).getBytes(StandardCharsets.UTF_8);
            return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(tenant)) % partitions));
        }
    }

    /** Applies each input to its tenant's ledger and publishes what changed; expires and resets on a timer. */
    static final class LedgerProcessor implements Processor<String, Input, String, Output> {
        private final Config config;
        private ProcessorContext<String, Output> context;
        private KeyValueStore<String, BudgetLedger> ledgers;
        private KeyValueStore<String, BudgetReservation> reservations;
        private KeyValueStore<String, String> due;
        /** Whether this task's first check, which reads every ledger, has run. */
        private boolean swept;
        private WindowStore<String, BudgetReservation> closed;
        private WindowStore<String, Long> counted;
        /** Whether this task has opened a segment of its window stores since init. */
        private boolean segmentKept;

        LedgerProcessor(Config config) {
            this.config = config;
        }

        @Override
        public void init(ProcessorContext<String, Output> context) {
            this.context = context;
            this.ledgers = context.getStateStore(LEDGER_STORE);
            this.reservations = context.getStateStore(RESERVATION_STORE);
            this.due = context.getStateStore(DUE_STORE);
            // a task revived after a failure runs init again, and its first check's writes may have been aborted
            this.swept = false;
            this.closed = context.getStateStore(CLOSED_STORE);
            this.counted = context.getStateStore(COUNTED_STORE);
            this.segmentKept = false;
            context.schedule(config.checkInterval(), PunctuationType.WALL_CLOCK_TIME, this::expireAndRoll);
        }

        @Override
        public void process(Record<String, Input> record) {
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            keepASegment(now);
            Input input = record.value();
            if (input instanceof Input.Definition d) {
                define(d, now);
            } else if (input instanceof Input.Request r && r.request().getRelease()) {
                apply(record.key(), now, ledger -> ledger.release(r.request().getRequestId(), now));
            } else if (input instanceof Input.Request r) {
                reserve(record.key(), r.request(), now);
            } else if (input instanceof Input.Response e) {
                apply(record.key(), now, ledger -> ledger.settle(Usage.of(e.event()), now));
            }
        }

        /** Once a task start, at its first record or check, whichever comes first: see the method it calls. */
        private void keepASegment(Instant now) {
            if (!segmentKept) {
                StoredRecentIds.keepASegment(closed, counted, now);
                segmentKept = true;
            }
        }

        private void define(Input.Definition d, Instant now) {
            String tenant = tenantOf(d.key());
            String budgetId = d.key().substring(tenant.length() + 1);
            if (d.definition() == null) {
                apply(tenant, now, ledger -> ledger.delete(budgetId, now));
                return;
            }
            checkDefinition(d.key(), tenant, budgetId, d.definition());
            apply(tenant, now, ledger -> ledger.define(d.definition(), now));
        }

        private void reserve(String tenant, BudgetReservationRequest request, Instant now) {
            if (request.getRequestId() == null || request.getRequestId().isBlank()) {
                // nobody could match a reply to it
                throw new IllegalArgumentException("reservation request without a request_id");
            }
            TenantLedger ledger = load(tenant);
            Instant dueBefore = ledger.nextDue();
            TenantLedger.Decision decision = ledger.reserve(request, now);
            // saved first: should saving or publishing fail, no grant goes out for a reservation the ledger lacks
            saveAndPublish(ledger, dueBefore, decision.effects(), now);
            context.forward(new Record<>(tenant, new Output(Topics.BUDGET_REPLIES, decision.reply()),
                    now.toEpochMilli()));
        }

        /** A definition the validator refuses goes to the dead-letter topic, naming the field, before any change. */
        private static void checkDefinition(String key, String tenant, String budgetId, BudgetDefinition d) {
            List<BudgetProblem> problems = new ArrayList<>(BudgetValidation.problems(d));
            if (!tenant.equals(d.getTenant()) || !budgetId.equals(d.getBudgetId())) {
                problems.add(new BudgetProblem("budget_id", "key " + key + " does not match tenant "
                        + d.getTenant() + " and budget " + d.getBudgetId()));
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid budget definition " + key + ": " + problems);
            }
        }

        /**
         * Expires and rolls the ledgers that came due. The task's first check reads every ledger instead and indexes
         * any not yet indexed: one written before the index existed, or one whose old-layout reservations are moved
         * out on this first read.
         */
        private void expireAndRoll(long wallClockMs) {
            Instant now = Instant.ofEpochMilli(wallClockMs);
            keepASegment(now);
            for (KeyValue<String, String> entry : swept ? entriesDue(now) : everyTenant()) {
                String tenant = entry.value;
                try {
                    Instant next = apply(tenant, now, ledger -> ledger.expireAndRoll(now));
                    reindex(entry.key, tenant, next);
                } catch (RuntimeException e) {
                    // one tenant's ledger that cannot roll must not stop the expiries of every tenant after it
                    log.error("budget ledger of tenant {} could not roll or expire at {}; the other tenants' did",
                            tenant, now, e);
                }
            }
            swept = true;
        }

        /** Every ledger's tenant, as an entry without a due key. */
        private List<KeyValue<String, String>> everyTenant() {
            List<KeyValue<String, String>> tenants = new ArrayList<>();
            try (KeyValueIterator<String, BudgetLedger> all = ledgers.all()) {
                all.forEachRemaining(kv -> tenants.add(KeyValue.pair(null, kv.key)));
            }
            return tenants;
        }

        private List<KeyValue<String, String>> entriesDue(Instant now) {
            List<KeyValue<String, String>> entries = new ArrayList<>();
            try (KeyValueIterator<String, String> found = due.range(null, dueKeyAfter(now))) {
                found.forEachRemaining(entries::add);
            }
            return entries;
        }

        /**
         * Makes the index hold the ledger under its {@code next} due time and not under {@code read}, the key it was
         * found under (null in the first check): a ledger written before the index gets its entry, and an entry the
         * ledger's writes did not move (left by a version that ignored the index) goes instead of being read every
         * check. In the usual case the ledger's save moved the entry already and this only reads.
         */
        private void reindex(String read, String tenant, Instant next) {
            String current = next == null ? null : dueKey(next, tenant);
            if (read != null && !read.equals(current) && due.get(read) != null) {
                due.delete(read);
            }
            if (current != null && due.get(current) == null) {
                due.put(current, tenant);
            }
        }

        /** Applies {@code op} to the tenant's ledger, saves and publishes what changed; returns the ledger's next due. */
        private Instant apply(String tenant, Instant now, Function<TenantLedger, LedgerEffects> op) {
            TenantLedger ledger = load(tenant);
            Instant dueBefore = ledger.nextDue();
            LedgerEffects effects = op.apply(ledger);
            // most events and timer ticks change nothing: no store write, no changelog record
            if (!effects.isEmpty() || ledger.changedQuietly()) {
                saveAndPublish(ledger, dueBefore, effects, now);
            }
            return ledger.nextDue();
        }

        private TenantLedger load(String tenant) {
            return TenantLedger.of(ledgers.get(tenant), tenant, new StoredReservations(reservations, tenant),
                    new StoredRecentIds(closed, counted, tenant), config.ledger());
        }

        private void saveAndPublish(TenantLedger ledger, Instant dueBefore, LedgerEffects effects, Instant now) {
            String tenant = ledger.tenant();
            if (ledger.isEmpty()) {
                ledgers.delete(tenant);
            } else {
                ledgers.put(tenant, ledger.state());
            }
            Instant dueAfter = ledger.nextDue();
            if (!Objects.equals(dueBefore, dueAfter)) {
                if (dueBefore != null) {
                    due.delete(dueKey(dueBefore, tenant));
                }
                if (dueAfter != null) {
                    due.put(dueKey(dueAfter, tenant), tenant);
                }
            }
            long ts = now.toEpochMilli();
            effects.audits().forEach(a -> context.forward(new Record<>(tenant, new Output(Topics.BUDGET_AUDIT, a), ts)));
            effects.alerts().forEach(a -> context.forward(new Record<>(tenant, new Output(Topics.BUDGET_ALERTS, a), ts)));
            for (String budgetId : effects.changedBudgets()) {
                BudgetStatus status = ledger.status(budgetId, now);
                context.forward(new Record<>(budgetKey(tenant, budgetId), new Output(Topics.BUDGET_STATUS, status), ts));
            }
            for (String budgetId : effects.deletedBudgets()) {
                context.forward(new Record<>(budgetKey(tenant, budgetId), new Output(Topics.BUDGET_STATUS, null), ts));
            }
        }
    }

    /** A tenant's entry in {@value #DUE_STORE}: its due time first, zero-padded, so keys sort by time. */
    static String dueKey(Instant due, String tenant) {
        return String.format(Locale.ROOT, "%019d", due.toEpochMilli()) + KEY_SEPARATOR + tenant;
    }

    /** A key after every entry due at or before {@code now} and before every later one ('0' sorts after '/'). */
    static String dueKeyAfter(Instant now) {
        return String.format(Locale.ROOT, "%019d", now.toEpochMilli()) + '0';
    }
}
