package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.BudgetReservationRequest;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.MidDay;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.replay.AzureTrace;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import io.soma.streams.topologies.slm.LlmPerfRecords;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget app on the real broker and registry, fed with real token counts (Azure trace, LLMPerf) from
 * ../shared/data. One app for the class (a second app id would answer every tenant's records again); tests that
 * restart it leave it running.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BudgetAppIT {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private static final int REQUESTS = 200;
    private static final int ADMITTED = 50;
    private static final int SENDERS = 4;
    private static final long DEFAULT_COMPLETION = 1024;
    /**
     * Long enough that no grant of the concurrency test's burst expires before the burst is decided, even on a loaded
     * machine (an expiry frees room and more would be granted), short enough to wait for once.
     */
    private static final Duration RESERVATION_TTL = Duration.ofSeconds(60);
    private static final String APP_ID = "budget-it-" + UUID.randomUUID();
    private static final String NEVER_SETTLED_TENANT = "expiry-" + UUID.randomUUID();
    /** Where it is about noon as the class starts (MidDay): its daily periods do not end while it runs. */
    private static final ZoneOffset MID_DAY = MidDay.zone();
    private static LocalStack stack;
    private static AppSerdes serdes;
    private static Path stateDir;
    private static KafkaStreams app;
    private static KafkaProducer<String, SpecificRecord> producer;

    @BeforeAll
    static void setUp() {
        stack = ProvisionedStack.shared();
        serdes = new AppSerdes(new SchemaRegistryClient(stack.schemaRegistryUrl()));
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(stack.schemaRegistryUrl()), false, true));
        stateDir = TestPaths.newWorkDir("budget-it");
        app = start();
        // reserved before the tests run, so its TTL runs out while they do, not in a wait of its own
        define(midDay(NEVER_SETTLED_TENANT, "daily", 100_000).build());
        LlmPerfRecords.Request step = llmPerf(1).get(0);
        send(Topics.BUDGET_RESERVATIONS.name(), NEVER_SETTLED_TENANT,
                request(NEVER_SETTLED_TENANT, "never-settled", step.provider(), step.model(), step.inputTokens()));
    }

    @AfterAll
    static void tearDown() {
        if (app != null) {
            StreamsApps.closeLeavingGroup(app);
        }
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    void shouldNeverGrantMoreThanTheHardLimitToConcurrentRequestsAndSettleToTheRealTokenCounts() throws Exception {
        String tenant = "concurrent-" + UUID.randomUUID();
        // real requests of the Azure code trace: prompts from tens to thousands of tokens
        List<AzureTrace.Request> steps = AzureTrace.read(AzureTrace.file(TestPaths.dataDir(), "code"))
                .subList(0, REQUESTS);
        long limit = steps.stream().limit(ADMITTED).mapToLong(s -> s.contextTokens() + DEFAULT_COMPLETION).sum();
        define(midDay(tenant, "daily", limit).build());
        awaitStatus(tenant, "daily", s -> s.getLimitTokens() == limit);

        // four senders at once; one of them keys by session, not tenant, so its requests are re-keyed by the app
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (int sender = 0; sender < SENDERS; sender++) {
                int first = sender;
                sent.add(senders.submit(() -> IntStream.iterate(first, i -> i < REQUESTS, i -> i + SENDERS)
                        .forEach(i -> send(Topics.BUDGET_RESERVATIONS.name(), first == 0 ? "session-" + i : tenant,
                                request(tenant, requestId(tenant, i), "azure", null, steps.get(i).contextTokens())))));
            }
            for (Future<?> f : sent) {
                f.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            senders.shutdownNow();
        }
        List<BudgetReservationReply> replies = CommittedRecords.awaitValues(stack.bootstrapServers(),
                Topics.BUDGET_REPLIES.name(), new StringDeserializer(), serdes.value(Topics.BUDGET_REPLIES).deserializer(),
                r -> tenant.equals(r.getTenant()), REQUESTS);

        assertThat(replies).hasSize(REQUESTS);
        List<BudgetReservationReply> granted = replies.stream().filter(BudgetReservationReply::getGranted).toList();
        long grantedTokens = granted.stream().mapToLong(BudgetReservationReply::getReservedTokens).sum();
        assertThat(grantedTokens).isLessThanOrEqualTo(limit);
        assertThat(granted.size()).isBetween(ADMITTED / 2, REQUESTS - 1);
        // nothing settles during the burst, so each refused request must not have fit even in the final slack
        assertThat(replies.stream().filter(r -> !r.getGranted())).allSatisfy(r -> {
            assertThat(r.getRefusal().getBudgetId()).isEqualTo("daily");
            assertThat(r.getRefusal().getKind()).isEqualTo("exceeded");
            assertThat(r.getRefusal().getLimit()).isEqualTo((double) limit);
            assertThat(r.getRefusal().getRequested()).isGreaterThan((double) (limit - grantedTokens));
        });

        // the real responses settle the granted reservations: spent becomes the sum of their token counts
        Map<String, AzureTrace.Request> byRequest = new HashMap<>();
        IntStream.range(0, REQUESTS).forEach(i -> byRequest.put(requestId(tenant, i), steps.get(i)));
        long realTokens = 0;
        for (BudgetReservationReply r : granted) {
            AzureTrace.Request step = byRequest.get(r.getRequestId());
            realTokens += step.contextTokens() + step.generatedTokens();
            send(Topics.CONVERSATION_EVENTS.name(), r.getRequestId(), ConversationEvent.newBuilder(
                            ReplayPlan.azureEvent(tenant, step, Instant.now()))
                    .setMetadata(Map.of(Usage.RESERVATION_ID_METADATA, r.getRequestId())).build());
        }
        long expected = realTokens;
        BudgetStatus settled = awaitStatus(tenant, "daily", s -> s.getReservedTokens() == 0 && s.getSpentTokens() == expected);
        assertThat(settled.getRemainingTokens()).isEqualTo(limit - expected);
        // each granted reservation ended once: settled, or expired first on a slow machine (its spend counts anyway)
        assertThat(CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.BUDGET_AUDIT.name(),
                new StringDeserializer(), serdes.value(Topics.BUDGET_AUDIT).deserializer(),
                a -> tenant.equals(a.getTenant()) && a.getRequestId() != null
                        && List.of(TenantLedger.SETTLED, TenantLedger.EXPIRED).contains(a.getAction()),
                granted.size())).hasSize(granted.size());
    }

    @Test
    void shouldNotBlockAZeroPricedModelWithASpentCostBudget() {
        String tenant = "zero-priced-" + UUID.randomUUID();
        LlmPerfRecords.Request step = llmPerf(1).get(0);
        PriceTable.Price gpt4o = PriceTable.defaults().priceOf("openai", "gpt-4o").orElseThrow();
        // the limit is what the step's real token counts cost on gpt-4o, so one such response spends it all
        double limitUsd = gpt4o.cost(step.inputTokens(), step.outputTokens());
        define(midDay(tenant, "usd", 1).setLimitTokens(null).setLimitUsd(limitUsd).build());
        send(Topics.CONVERSATION_EVENTS.name(), "paid", ConversationEvent.newBuilder(response(tenant, "paid", step))
                .setProvider("openai").setModel("gpt-4o").build());
        awaitStatus(tenant, "usd", s -> s.getSpentUsd() >= limitUsd);

        send(Topics.BUDGET_RESERVATIONS.name(), tenant,
                request(tenant, "more-paid", "openai", "gpt-4o", step.inputTokens()));
        send(Topics.BUDGET_RESERVATIONS.name(), tenant,
                request(tenant, "local", "local", "llama-2-7b-chat", step.inputTokens()));

        Map<String, BudgetReservationReply> replies = new HashMap<>();
        CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.BUDGET_REPLIES.name(), new StringDeserializer(),
                        serdes.value(Topics.BUDGET_REPLIES).deserializer(), r -> tenant.equals(r.getTenant()), 2)
                .forEach(r -> replies.put(r.getRequestId(), r));
        assertThat(replies.get("more-paid").getGranted()).isFalse();
        assertThat(replies.get("more-paid").getRefusal().getUnit()).isEqualTo("usd");
        assertThat(replies.get("local").getGranted()).isTrue();
        assertThat(replies.get("local").getReservedUsd()).isZero();
    }

    @Test
    void shouldCountAResponseDeliveredTwiceOnceAndNotReserveARepeatedRequestAgain() {
        String tenant = "repeats-" + UUID.randomUUID();
        List<LlmPerfRecords.Request> steps = llmPerf(50);
        LlmPerfRecords.Request step = steps.get(0);
        long stepTokens = step.inputTokens() + step.outputTokens();
        // a later response of another size, so that a total counting the duplicate cannot look right
        LlmPerfRecords.Request next = steps.stream().filter(r -> r.inputTokens() + r.outputTokens() != stepTokens)
                .findFirst().orElseThrow();
        long expected = stepTokens + next.inputTokens() + next.outputTokens();
        define(midDay(tenant, "daily", 1_000_000).build());
        BudgetReservationRequest request = request(tenant, "step", step.provider(), step.model(), step.inputTokens());
        send(Topics.BUDGET_RESERVATIONS.name(), tenant, request);
        // granted before the response is sent: the response takes a repartition topic and could overtake it
        Predicate<BudgetReservationReply> ofTenant = r -> tenant.equals(r.getTenant());
        CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.BUDGET_REPLIES.name(), new StringDeserializer(),
                serdes.value(Topics.BUDGET_REPLIES).deserializer(), ofTenant, 1);
        ConversationEvent response = response(tenant, "step", step);
        send(Topics.CONVERSATION_EVENTS.name(), "step", response);
        awaitStatus(tenant, "daily", s -> s.getSpentTokens() == stepTokens && s.getReservedTokens() == 0);

        // an at-least-once producer's retries: the same event and the same request once more
        send(Topics.CONVERSATION_EVENTS.name(), "step", response);
        send(Topics.BUDGET_RESERVATIONS.name(), tenant, request);
        List<BudgetReservationReply> replies = CommittedRecords.awaitValues(stack.bootstrapServers(),
                Topics.BUDGET_REPLIES.name(), new StringDeserializer(), serdes.value(Topics.BUDGET_REPLIES).deserializer(),
                ofTenant, 2);
        assertThat(replies).allSatisfy(r -> assertThat(r.getGranted()).isTrue())
                .extracting(BudgetReservationReply::getExpiresAt).as("the same grant")
                .containsOnly(replies.get(0).getExpiresAt());
        BudgetAudit duplicate = audits(tenant, TenantLedger.DUPLICATE, 1).get(0);
        assertThat(duplicate.getRequestId()).isEqualTo("step");
        assertThat(duplicate.getTokens()).isEqualTo(stepTokens);

        // both handled: the next response's status shows what they left
        send(Topics.CONVERSATION_EVENTS.name(), "next", response(tenant, "next", next));
        BudgetStatus status = awaitStatus(tenant, "daily", s -> s.getSpentTokens() >= expected);
        assertThat(status.getSpentTokens()).as("the duplicate not counted").isEqualTo(expected);
        assertThat(status.getReservedTokens()).as("the repeated request not reserved again").isZero();
    }

    @Test
    void shouldDeadLetterAnInvalidDefinitionNamingTheField() {
        String tenant = "invalid-" + UUID.randomUUID();
        String key = BudgetApp.budgetKey(tenant, "bad");
        define(Budgets.daily(tenant, "bad", 0).build());

        List<ConsumerRecord<byte[], byte[]>> dead = CommittedRecords.await(stack.bootstrapServers(), Topics.DEAD_LETTER,
                new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                r -> r.key() != null && key.equals(new String(r.key(), StandardCharsets.UTF_8)), 1,
                CommittedRecords.DEFAULT_TIMEOUT);
        String reason = new String(dead.get(0).headers().lastHeader(DlqHeaders.REASON).value(), StandardCharsets.UTF_8);
        assertThat(reason).contains("limit_tokens");
    }

    @Test
    // last: its reservation was taken when the class started, so the other cases' time counts toward its TTL
    @Order(Integer.MAX_VALUE)
    void shouldExpireAnUnsettledReservationWithAnAuditRecord() {
        String tenant = NEVER_SETTLED_TENANT;
        LlmPerfRecords.Request step = llmPerf(1).get(0);
        BudgetAudit expired = CommittedRecords.await(stack.bootstrapServers(), Topics.BUDGET_AUDIT.name(),
                        new StringDeserializer(), serdes.value(Topics.BUDGET_AUDIT).deserializer(),
                        r -> tenant.equals(r.key()) && TenantLedger.EXPIRED.equals(r.value().getAction()), 1,
                        CommittedRecords.DEFAULT_TIMEOUT.plus(RESERVATION_TTL))
                .get(0).value();
        assertThat(expired.getRequestId()).isEqualTo("never-settled");
        assertThat(expired.getTokens()).isEqualTo(step.inputTokens() + DEFAULT_COMPLETION);
        awaitStatus(tenant, "daily", s -> s.getReservedTokens() == 0 && s.getUpdatedAt().equals(expired.getTimestamp()));
    }

    @Test
    void shouldResetOnceAtALocalMidnightAcrossRestarts() {
        LlmPerfRecords.Request step = llmPerf(1).get(0);
        long stepTokens = step.inputTokens() + step.outputTokens();
        // the boundary falls inside the test: 20 s is several times what defining and one spend take on a loaded
        // machine (a few seconds here), and one too slow for it starts over with twice the time
        Midnight midnight = null;
        for (int leadSeconds = 20; midnight == null; leadSeconds *= 2) {
            assertThat(leadSeconds).as("time to spend before a midnight").isLessThanOrEqualTo(80);
            midnight = spendBeforeMidnight(step, leadSeconds);
        }
        String tenant = midnight.tenant();
        Instant boundary = midnight.boundary();

        // down across the boundary: the restarted app resets on its first check
        restart(false, () -> Await.until("the clock to pass the budget's midnight " + boundary,
                Duration.ofSeconds(90), () -> Instant.now().isAfter(boundary)));
        BudgetAudit reset = audits(tenant, TenantLedger.RESET, 1).get(0);
        assertThat(reset.getPeriodEnd()).isEqualTo(boundary);
        assertThat(reset.getTokens()).isEqualTo(stepTokens);

        // restored from the changelog alone, the ledger knows the period already reset
        restart(true, () -> { });
        send(Topics.CONVERSATION_EVENTS.name(), "after", response(tenant, "after", step));
        BudgetStatus after = awaitStatus(tenant, "daily", s -> s.getPeriodStart().equals(boundary)
                && s.getSpentTokens() == stepTokens);
        assertThat(after.getPeriodEnd()).isEqualTo(boundary.plus(Duration.ofDays(1)));
        assertThat(audits(tenant, TenantLedger.RESET, 1)).hasSize(1);
    }

    private record Midnight(String tenant, Instant boundary) {
    }

    /**
     * A new tenant's daily budget in a zone whose next midnight is {@code leadSeconds} away (the unit tests cover
     * named zones and their daylight-saving days), and one spend in the period before it; empty when the machine
     * was too slow and the period had ended before the spend counted in it.
     */
    private Midnight spendBeforeMidnight(LlmPerfRecords.Request step, int leadSeconds) {
        String tenant = "reset-" + UUID.randomUUID();
        Instant boundary = Instant.now().plusSeconds(leadSeconds).truncatedTo(ChronoUnit.SECONDS);
        int offset = Math.floorMod(-boundary.getEpochSecond(), 86_400);
        ZoneOffset zone = ZoneOffset.ofTotalSeconds(offset > 18 * 3600 ? offset - 86_400 : offset);
        long stepTokens = step.inputTokens() + step.outputTokens();

        define(Budgets.daily(tenant, "daily", 1_000_000).setTimeZone(zone.getId()).build());
        send(Topics.CONVERSATION_EVENTS.name(), "before", response(tenant, "before", step));
        BudgetStatus status = awaitStatus(tenant, "daily",
                s -> s.getSpentTokens() == stepTokens || s.getPeriodStart().equals(boundary));
        boolean spentBefore = status.getSpentTokens() == stepTokens && status.getPeriodEnd().equals(boundary);
        return spentBefore ? new Midnight(tenant, boundary) : null;
    }

    @Test
    void shouldAlertEachThresholdAndProjectionOnceWithoutRepeatingAfterARestore() {
        String tenant = "alerts-" + UUID.randomUUID();
        LlmPerfRecords.Request step = llmPerf(1).get(0);
        long stepTokens = step.inputTokens() + step.outputTokens();
        // one response is 60 % of the limit (crosses 50 %), two are 120 % (cross 80 % and 95 %); two responses are
        // too few to alert a projection on
        define(midDay(tenant, "daily", Math.round(stepTokens / 0.6)).setHard(false).build());
        // five responses of 1 % each within seconds, with about 12 hours of the period left: the spend rate reaches
        // every threshold and the limit long before the period ends
        String projected = "projected-" + UUID.randomUUID();
        define(midDay(projected, "daily", stepTokens * 100).setHard(false).build());

        send(Topics.CONVERSATION_EVENTS.name(), "s0", response(tenant, "s0", step));
        assertThat(alerts(tenant, 1)).extracting(BudgetAlert::getThresholdPercent).containsExactly(50);
        // applied before its usage, so the rate is measured over a time after the definition
        awaitStatus(projected, "daily", s -> s.getSpentTokens() == 0);
        for (int i = 0; i < TenantLedger.MIN_EVENTS_FOR_PROJECTION_ALERT; i++) {
            send(Topics.CONVERSATION_EVENTS.name(), "p" + i, response(projected, "p" + i, step));
        }
        List<BudgetAlert> projections = alerts(projected, 4);
        assertThat(projections).extracting(BudgetAlert::getKind).containsOnly(TenantLedger.PROJECTED_TO_CROSS);
        assertThat(projections).extracting(BudgetAlert::getThresholdPercent).containsExactly(50, 80, 95, 100);
        BudgetAlert limit = projections.get(3);
        assertThat(limit.getProjectedAt()).isBefore(limit.getPeriodEnd());
        assertThat(limit.getProjectedEarliest()).isBeforeOrEqualTo(limit.getProjectedAt());
        BudgetStatus status = awaitStatus(projected, "daily",
                s -> s.getSpentTokens() == stepTokens * TenantLedger.MIN_EVENTS_FOR_PROJECTION_ALERT);
        assertThat(status.getProjection().getExhaustionAt()).isBefore(status.getPeriodEnd());
        assertThat(status.getProjection().getTokensLower()).isGreaterThanOrEqualTo(status.getSpentTokens());
        assertThat(status.getProjection().getTokensCalibrated()).as("no past period to calibrate on").isFalse();

        restart(true, () -> { });
        send(Topics.CONVERSATION_EVENTS.name(), "s1", response(tenant, "s1", step));
        send(Topics.CONVERSATION_EVENTS.name(), "p-after", response(projected, "p-after", step));
        // the restored ledger remembers that 50 % was alerted this period, and which projections were
        assertThat(alerts(tenant, 3)).extracting(BudgetAlert::getThresholdPercent).containsExactly(50, 80, 95);
        awaitStatus(projected, "daily",
                s -> s.getSpentTokens() == stepTokens * (TenantLedger.MIN_EVENTS_FOR_PROJECTION_ALERT + 1));
        assertThat(alerts(projected, 4)).hasSize(4);
    }

    private static KafkaStreams start() {
        BudgetApp.Config config = new BudgetApp.Config(
                new LedgerSettings(PriceTable.defaults(), RESERVATION_TTL, DEFAULT_COMPLETION), Duration.ofMillis(200),
                Duration.ofHours(1));
        StreamsSettings settings = StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir);
        return StreamsApps.startAndAwaitRunning(new KafkaStreams(BudgetApp.build(config, serdes), settings.forApp(APP_ID)));
    }

    /** Closes the app, runs {@code whileDown}, and starts it again, from its changelogs alone if {@code wipe}. */
    private static void restart(boolean wipe, Runnable whileDown) {
        assertThat(StreamsApps.closeLeavingGroup(app)).as("closed before its state dir is reused").isTrue();
        app = null;
        whileDown.run();
        if (wipe) {
            TestPaths.deleteRecursively(stateDir);
        }
        app = start();
    }

    /** A hard daily token budget whose day has about 12 hours left: no midnight reset falls inside a test. */
    private static BudgetDefinition.Builder midDay(String tenant, String budgetId, long limitTokens) {
        return Budgets.daily(tenant, budgetId, limitTokens).setTimeZone(MID_DAY.getId());
    }

    /** Successful LLMPerf measurements, in file order: real prompt and completion token counts. */
    private static List<LlmPerfRecords.Request> llmPerf(int n) {
        List<LlmPerfRecords.Request> ok = new ArrayList<>();
        for (Path file : LlmPerfRecords.files(TestPaths.dataDir())) {
            LlmPerfRecords.read(file).stream().filter(r -> !r.failed()).forEach(ok::add);
            if (ok.size() >= n) {
                return ok.subList(0, n);
            }
        }
        throw new IllegalStateException("fewer than " + n + " successful LLMPerf measurements");
    }

    /** A request that declares no maximum completion, so the app's default is reserved for it. */
    private static BudgetReservationRequest request(String tenant, String requestId, String provider, String model,
                                                    long promptTokens) {
        return BudgetReservationRequest.newBuilder().setRequestId(requestId).setTenant(tenant).setProvider(provider)
                .setModel(model).setPromptTokens(promptTokens).setRequestedAt(Instant.now()).build();
    }

    /** The step's real response, naming the reservation it settles. */
    private static ConversationEvent response(String tenant, String requestId, LlmPerfRecords.Request step) {
        return ConversationEvent.newBuilder(ReplayPlan.llmPerfEvent(step, Instant.now()))
                .setTenant(tenant).setSessionId(requestId).setEventId(UUID.randomUUID().toString())
                .setMetadata(Map.of(Usage.RESERVATION_ID_METADATA, requestId)).build();
    }

    private static String requestId(String tenant, int i) {
        return tenant + "-step-" + i;
    }

    private static void define(BudgetDefinition definition) {
        send(Topics.BUDGET_DEFINITIONS.name(), BudgetApp.budgetKey(definition.getTenant(), definition.getBudgetId()),
                definition);
    }

    private static void send(String topic, String key, SpecificRecord value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + topic, e);
        }
    }

    /** The first committed status of the budget that {@code wanted} accepts. */
    private static BudgetStatus awaitStatus(String tenant, String budgetId,
                                            Predicate<BudgetStatus> wanted) {
        String key = BudgetApp.budgetKey(tenant, budgetId);
        return CommittedRecords.await(stack.bootstrapServers(), Topics.BUDGET_STATUS.name(), new StringDeserializer(),
                        serdes.value(Topics.BUDGET_STATUS).deserializer(),
                        r -> key.equals(r.key()) && r.value() != null && wanted.test(r.value()), 1,
                        CommittedRecords.DEFAULT_TIMEOUT)
                .get(0).value();
    }

    private static List<BudgetAudit> audits(String tenant, String action, int n) {
        return CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.BUDGET_AUDIT.name(), new StringDeserializer(),
                serdes.value(Topics.BUDGET_AUDIT).deserializer(),
                a -> tenant.equals(a.getTenant()) && action.equals(a.getAction()), n);
    }

    private static List<BudgetAlert> alerts(String tenant, int n) {
        return CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.BUDGET_ALERTS.name(), new StringDeserializer(),
                serdes.value(Topics.BUDGET_ALERTS).deserializer(), a -> tenant.equals(a.getTenant()), n);
    }
}
