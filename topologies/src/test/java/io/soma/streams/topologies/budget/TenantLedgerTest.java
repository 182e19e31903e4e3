package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.BudgetLedger;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.avro.BudgetProjection;
import io.soma.streams.avro.BudgetRefusal;
import io.soma.streams.avro.BudgetReservation;
import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.StandardNormal;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TenantLedgerTest {
    private static final String TENANT = "acme";
    private static final Duration TTL = Duration.ofMinutes(5);
    /** 10:00 in New York on a winter day; the day ends at 05:00 UTC the next morning. */
    private static final Instant MORNING = Instant.parse("2026-01-15T15:00:00Z");
    private static final Instant DAY_START = Instant.parse("2026-01-15T00:00:00Z");
    private static final LedgerSettings SETTINGS = new LedgerSettings(PriceTable.defaults(), TTL, 100);

    private final KeyValueStore<String, BudgetReservation> store = Budgets.reservationStore();
    private final OpenReservations reservations = new StoredReservations(store, TENANT);
    private final RecentIds recent = Budgets.recentIds(TENANT);
    private final TenantLedger ledger = TenantLedger.of(null, TENANT, reservations, recent, SETTINGS);

    @Test
    void shouldGrantUntilSpentPlusReservedWouldPassTheHardLimitAndNameTheBudgetThatTripped() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).setTimeZone("America/New_York").build(), MORNING);
        for (int i = 0; i < 3; i++) {
            assertThat(reserve("r" + i, "openai", "gpt-4o-mini", 200, 100).getGranted()).isTrue();
        }
        BudgetReservationReply refused = reserve("r3", "openai", "gpt-4o-mini", 200, 100);

        assertThat(refused.getGranted()).isFalse();
        BudgetRefusal why = refused.getRefusal();
        assertThat(why.getBudgetId()).isEqualTo("daily");
        assertThat(why.getUnit()).isEqualTo("tokens");
        assertThat(why.getLimit()).isEqualTo(1000);
        assertThat(why.getSpent()).isEqualTo(0);
        assertThat(why.getReserved()).isEqualTo(900);
        assertThat(why.getPeriodEnd()).isEqualTo(Instant.parse("2026-01-16T05:00:00Z"));
        // only open reservations are in the way: they are settled or expire within their TTL, not at the reset
        assertThat(why.getRetryAfterSeconds()).isEqualTo(TTL.toSeconds());
        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isEqualTo(900);

        // spent, not reserved: only the reset frees it
        for (int i = 0; i < 3; i++) {
            ledger.settle(usage("r" + i, "openai", "gpt-4o-mini", null, 200, 100), MORNING);
        }
        BudgetRefusal spent = reserve("r4", "openai", "gpt-4o-mini", 200, 100).getRefusal();
        assertThat(spent.getReserved()).isZero();
        assertThat(spent.getRetryAfterSeconds()).isEqualTo(Duration.ofHours(14).toSeconds());
    }

    /** Of the budgets and units in the way, the answer names the one that holds the step back longest. */
    @Test
    void shouldNameTheRefusalThatLastsLongestSoThatRetryAfterDoesNotMeetAnother() {
        ledger.define(Budgets.daily(TENANT, "a-daily", 1000).setModel("gpt-4o-mini").build(), MORNING);
        ledger.define(Budgets.daily(TENANT, "b-monthly", 100_000).setPeriod(BudgetPeriodKind.MONTH)
                .setTimeZone("UTC").build(), MORNING);
        // the daily budget held up by an open reservation only; the monthly one by what was spent on another model
        assertThat(reserve("open", "openai", "gpt-4o-mini", 900, 0).getGranted()).isTrue();
        ledger.settle(usage("spent", "openai", "gpt-4o", null, 99_900, 0), MORNING);

        BudgetRefusal refusal = reserve("more", "openai", "gpt-4o-mini", 200, 0).getRefusal();

        assertThat(refusal.getBudgetId()).isEqualTo("b-monthly");
        assertThat(refusal.getRetryAfterSeconds())
                .isEqualTo(Duration.between(MORNING, Instant.parse("2026-02-01T00:00:00Z")).toSeconds());
    }

    /** Within one budget too: tokens held up by a reservation, dollars by what was spent until the reset. */
    @Test
    void shouldNameTheUnitThatHoldsTheStepBackLongest() {
        // one step costs $0.00025 on gpt-4o: two do not fit
        ledger.define(Budgets.daily(TENANT, "both", 1000).setLimitUsd(0.0004).setTimeZone("America/New_York").build(),
                MORNING);
        ledger.settle(usage("spent", "openai", "gpt-4o", null, 100, 0), MORNING);
        assertThat(reserve("open", "local", "llama", 850, 0).getGranted()).isTrue();

        BudgetRefusal refusal = reserve("more", "openai", "gpt-4o", 100, 0).getRefusal();

        assertThat(refusal.getUnit()).isEqualTo("usd");
        assertThat(refusal.getRetryAfterSeconds()).isEqualTo(Duration.ofHours(14).toSeconds());
    }

    /** The first expiry that frees room is a reservation still open, not one settled since it was taken. */
    @Test
    void shouldTellARequestHeldBackByReservationsToRetryWhenTheFirstOpenOneExpires() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        Instant later = MORNING.plus(Duration.ofMinutes(3));
        ledger.reserve(Budgets.request(TENANT, "first", "openai", "gpt-4o-mini", 500, 100), MORNING);
        ledger.reserve(Budgets.request(TENANT, "second", "openai", "gpt-4o-mini", 200, 100), later);
        ledger.settle(usage("first", "openai", "gpt-4o-mini", null, 80, 20), later);

        BudgetRefusal refusal = ledger.reserve(Budgets.request(TENANT, "third", "openai", "gpt-4o-mini", 600, 100),
                later).reply().getRefusal();

        assertThat(refusal.getSpent()).isEqualTo(100);
        assertThat(refusal.getReserved()).isEqualTo(300);
        // the second's expiry, five minutes after it was taken; the first, settled, would have said two
        assertThat(refusal.getRetryAfterSeconds()).isEqualTo(TTL.toSeconds());
    }

    @Test
    void shouldRefuseAnEstimateThatCouldOverflowInsteadOfGrantingItPastTheLimit() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);

        // Long.MAX_VALUE + 1 is negative: without the bound this was granted and held reserved at -9.2e18
        BudgetReservationReply overflowing = reserve("huge", "openai", "gpt-4o-mini", Long.MAX_VALUE, 1);

        assertThat(overflowing.getGranted()).isFalse();
        assertThat(overflowing.getRefusal().getKind()).isEqualTo("invalid");
        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isZero();
        assertThat(reserve("next", "openai", "gpt-4o-mini", 900, 200).getGranted()).as("still limited").isFalse();
        assertThatThrownBy(() -> ledger.settle(usage("u", "openai", "gpt-4o-mini", null, Long.MAX_VALUE, 1),
                MORNING)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..1000000000");
        assertThat(ledger.status("daily", MORNING).getSpentTokens()).isZero();
    }

    @Test
    void shouldRefuseAStepLargerThanTheWholeLimitAsOverLimitWithoutARetry() {
        // a tokens-per-minute budget smaller than the default completion estimate (100 here) plus the prompt
        ledger.define(Budgets.daily(TENANT, "per-minute", 50).setPeriod(BudgetPeriodKind.ROLLING)
                .setRollingSeconds(60L).build(), MORNING);

        BudgetReservationReply refused = ledger.reserve(io.soma.streams.avro.BudgetReservationRequest.newBuilder(
                Budgets.request(TENANT, "r", "openai", "gpt-4o-mini", 10, 0)).setMaxCompletionTokens(null).build(),
                MORNING).reply();

        assertThat(refused.getGranted()).isFalse();
        assertThat(refused.getRefusal().getKind()).isEqualTo(TenantLedger.OVER_LIMIT);
        assertThat(refused.getRefusal().getRetryAfterSeconds()).as("waiting would not help").isNull();
        assertThat(refused.getRefusal().getMessage()).contains("110 tokens", "limit of 50");
        assertThat(reserve("small", "openai", "gpt-4o-mini", 10, 40).getGranted()).isTrue();
    }

    @Test
    void shouldFreeAReleasedReservationAtOnceAndAuditIt() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        assertThat(reserve("r1", "openai", "gpt-4o-mini", 800, 100).getGranted()).isTrue();
        assertThat(reserve("r2", "openai", "gpt-4o-mini", 50, 50).getGranted()).as("900 + 100").isTrue();

        LedgerEffects released = ledger.release("r1", MORNING);

        assertThat(released.audits()).singleElement().satisfies(a -> {
            assertThat(a.getAction()).isEqualTo(TenantLedger.RELEASED);
            assertThat(a.getRequestId()).isEqualTo("r1");
            assertThat(a.getTokens()).isEqualTo(900L);
        });
        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isEqualTo(100);
        assertThat(reserve("r3", "openai", "gpt-4o-mini", 800, 100).getGranted()).as("room again").isTrue();
        assertThat(ledger.release("r1", MORNING).audits()).as("released once").isEmpty();
        assertThat(ledger.release("never-granted", MORNING).audits()).isEmpty();
    }

    @Test
    void shouldReplaceAReservationByTheUsageThatSettlesIt() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        reserve("step-1", "openai", "gpt-4o-mini", 200, 100);

        LedgerEffects effects = ledger.settle(usage("step-1", "openai", "gpt-4o-mini", null, 180, 42), MORNING);

        BudgetStatus status = ledger.status("daily", MORNING);
        assertThat(status.getSpentTokens()).isEqualTo(222);
        assertThat(status.getReservedTokens()).isZero();
        assertThat(status.getRemainingTokens()).isEqualTo(778);
        assertThat(status.getSpentUsd()).isEqualTo(PriceTable.defaults().priceOf("openai", "gpt-4o-mini")
                .orElseThrow().cost(180, 42));
        assertThat(effects.audits()).extracting(BudgetAudit::getAction).containsExactly(TenantLedger.SETTLED);
    }

    @Test
    void shouldCountAUsageEventDeliveredTwiceOnceAndAuditTheDuplicate() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        reserve("step-1", "openai", "gpt-4o-mini", 200, 100);
        Usage response = usage("step-1", "openai", "gpt-4o-mini", null, 180, 42);
        ledger.settle(response, MORNING);

        // delivered again after it settled its reservation: without the id remembered it counted as new spend
        LedgerEffects again = ledger.settle(response, MORNING.plusSeconds(5));

        assertThat(again.changedBudgets()).isEmpty();
        assertThat(again.audits()).singleElement().satisfies(a -> {
            assertThat(a.getAction()).isEqualTo(TenantLedger.DUPLICATE);
            assertThat(a.getRequestId()).isEqualTo("step-1");
            assertThat(a.getTokens()).isEqualTo(222L);
        });
        assertThat(ledger.status("daily", MORNING).getSpentTokens()).isEqualTo(222);
        // another event for the same step is another response, and counts
        ledger.settle(new Usage("step-1-retry", "step-1", "openai", "gpt-4o-mini", null, 10, 0), MORNING);
        assertThat(ledger.status("daily", MORNING).getSpentTokens()).isEqualTo(232);
    }

    @Test
    void shouldFreeTheReservationOfADuplicateWhoseFirstCopyOvertookTheRequest() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        Usage response = usage("step-2", "openai", "gpt-4o-mini", null, 100, 20);
        ledger.settle(response, MORNING);
        reserve("step-2", "openai", "gpt-4o-mini", 200, 100);

        LedgerEffects again = ledger.settle(response, MORNING);

        assertThat(again.audits()).singleElement().satisfies(a -> {
            assertThat(a.getAction()).isEqualTo(TenantLedger.DUPLICATE);
            assertThat(a.getReason()).contains("reservation of 300 tokens freed");
        });
        BudgetStatus status = ledger.status("daily", MORNING);
        assertThat(status.getSpentTokens()).isEqualTo(120);
        assertThat(status.getReservedTokens()).isZero();
    }

    @Test
    void shouldNeitherCountNorRememberUsageOfATenantWithoutBudgetsOrReservations() {
        LedgerEffects effects = ledger.settle(usage("unbudgeted", "openai", "gpt-4o-mini", null, 100, 20), MORNING);

        assertThat(effects.isEmpty()).isTrue();
        assertThat(recent.counted("unbudgeted")).as("no marker written for it").isFalse();
    }

    @Test
    void shouldAnswerARequestRepeatedAfterItsReservationClosedWithoutReservingAgain() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        BudgetReservationReply first = reserve("released", "openai", "gpt-4o-mini", 200, 100);
        ledger.release("released", MORNING);
        reserve("settled", "openai", "gpt-4o-mini", 200, 100);
        ledger.settle(usage("settled", "openai", "gpt-4o-mini", null, 100, 50), MORNING);
        reserve("expired", "openai", "gpt-4o-mini", 200, 100);
        ledger.expireAndRoll(MORNING.plus(TTL));

        Instant later = MORNING.plus(TTL).plusSeconds(1);
        for (String requestId : List.of("released", "settled", "expired")) {
            BudgetReservationReply repeated = ledger.reserve(
                    Budgets.request(TENANT, requestId, "openai", "gpt-4o-mini", 200, 100), later).reply();
            assertThat(repeated.getGranted()).as(requestId).isTrue();
            assertThat(repeated.getReservedTokens()).as(requestId).isEqualTo(300);
        }
        assertThat(ledger.reserve(Budgets.request(TENANT, "released", "openai", "gpt-4o-mini", 200, 100), later)
                .reply().getExpiresAt()).as("the closed reservation's").isEqualTo(first.getExpiresAt());
        assertThat(ledger.status("daily", later).getReservedTokens()).as("none reserved again").isZero();
        assertThat(ledger.status("daily", later).getSpentTokens()).isEqualTo(150);
    }

    @Test
    void shouldNotBlockAZeroPricedModelWithACostBudgetButCountItsTokens() {
        ledger.define(Budgets.daily(TENANT, "usd", 1).setLimitTokens(null).setLimitUsd(0.001).build(), MORNING);
        ledger.define(Budgets.daily(TENANT, "tokens", 100_000).build(), MORNING);
        // spend the whole USD budget and more on a priced model
        ledger.settle(usage("paid", "openai", "gpt-4o", null, 1000, 1000), MORNING);
        assertThat(reserve("more-paid", "openai", "gpt-4o", 10, 10).getRefusal().getBudgetId()).isEqualTo("usd");

        BudgetReservationReply local = reserve("free", "local", "llama", 500, 100);
        assertThat(local.getGranted()).isTrue();
        assertThat(local.getReservedUsd()).isZero();
        ledger.settle(usage("free", "local", "llama", null, 400, 50), MORNING);
        assertThat(ledger.status("tokens", MORNING).getSpentTokens()).isEqualTo(2000 + 450);
        assertThat(ledger.status("usd", MORNING).getSpentUsd()).isEqualTo(0.0125);
    }

    @Test
    void shouldRefuseAModelWithoutAPriceAgainstACostBudget() {
        ledger.define(Budgets.daily(TENANT, "usd", 1).setLimitTokens(null).setLimitUsd(5.0).build(), MORNING);
        BudgetReservationReply reply = reserve("r", "azure", null, 10, 10);
        assertThat(reply.getRefusal().getKind()).isEqualTo("unpriced");
        assertThat(reply.getRefusal().getBudgetId()).isEqualTo("usd");
    }

    @Test
    void shouldCountOnlyWhatABudgetsScopeNames() {
        ledger.define(Budgets.daily(TENANT, "sonnet", 100).setProvider("anthropic").setModel("claude-3-5-sonnet")
                .build(), MORNING);
        assertThat(reserve("other", "openai", "gpt-4o", 1000, 1000).getGranted()).isTrue();
        assertThat(reserve("same", "anthropic", "claude-3-5-sonnet", 100, 1).getGranted()).isFalse();
        ledger.settle(usage("other", "openai", "gpt-4o", null, 900, 900), MORNING);
        assertThat(ledger.status("sonnet", MORNING).getSpentTokens()).isZero();
    }

    /** A model's hard budget holds whatever the step calls the model: dated, or in another case. */
    @Test
    void shouldHoldAModelsBudgetAgainstItsDatedIdsAndOtherSpellings() {
        ledger.define(Budgets.daily(TENANT, "gpt-4o", 3000).setProvider("openai").setModel("gpt-4o").build(), MORNING);

        assertThat(reserve("dated", "openai", "gpt-4o-2024-08-06", 1000, 500).getGranted()).isTrue();
        assertThat(reserve("upper", "OpenAI", "GPT-4o", 1000, 400).getGranted()).isTrue();
        assertThat(reserve("over", "openai", "gpt-4o-latest", 1000, 0).getGranted())
                .as("2,900 of 3,000 held: a third step is refused").isFalse();
        assertThat(reserve("mini", "openai", "gpt-4o-mini-2024-07-18", 1000, 500).getGranted())
                .as("another model, dated").isTrue();
        ledger.settle(usage("dated", "openai", "gpt-4o-2024-08-06", null, 900, 400), MORNING);

        assertThat(ledger.status("gpt-4o", MORNING).getSpentTokens()).isEqualTo(1300);
        assertThat(ledger.status("gpt-4o", MORNING).getReservedTokens()).isEqualTo(1400);
    }

    /** A gateway's response names the model as its API answers it, not as the step declared it. */
    @Test
    void shouldChargeTheBudgetsThatHeldTheReservationWhateverTheResponseNames() {
        ledger.define(Budgets.daily(TENANT, "gpt-4o", 100_000).setModel("gpt-4o").build(), MORNING);
        ledger.define(Budgets.daily(TENANT, "usd", 1).setLimitTokens(null).setLimitUsd(5.0).build(), MORNING);
        reserve("dated", "openai", "gpt-4o", 1000, 500);
        reserve("no-provider", "openai", "gpt-4o", 1000, 500);

        ledger.settle(usage("dated", "openai", "gpt-4o-2024-08-06", null, 900, 400), MORNING);
        ledger.settle(usage("no-provider", null, "gpt-4o", null, 800, 300), MORNING);

        assertThat(ledger.status("gpt-4o", MORNING).getSpentTokens()).isEqualTo(1300 + 1100);
        assertThat(ledger.status("gpt-4o", MORNING).getReservedTokens()).isZero();
        PriceTable.Price gpt4o = PriceTable.defaults().priceOf("openai", "gpt-4o").orElseThrow();
        assertThat(ledger.status("usd", MORNING).getSpentUsd())
                .isCloseTo(gpt4o.cost(900, 400) + gpt4o.cost(800, 300), within(1e-12));
        assertThat(ledger.status("usd", MORNING).getReservedUsd()).isZero();
    }

    /**
     * A response that comes after its reservation expired still counts, and for the budgets that held the
     * reservation too: named without its provider, it was charged to no provider-scoped budget at all.
     */
    @Test
    void shouldChargeTheBudgetsThatHeldAnExpiredReservationWhateverTheLateResponseNames() {
        ledger.define(Budgets.daily(TENANT, "openai-usd", 1).setLimitTokens(null).setProvider("openai").setLimitUsd(5.0)
                .build(), MORNING);
        reserve("slow", "openai", "gpt-4o", 1000, 500);
        ledger.expireAndRoll(MORNING.plus(TTL));

        Instant late = MORNING.plus(TTL).plusSeconds(30);
        ledger.settle(usage("slow", null, "gpt-4o", null, 900, 400), late);

        PriceTable.Price gpt4o = PriceTable.defaults().priceOf("openai", "gpt-4o").orElseThrow();
        assertThat(ledger.status("openai-usd", late).getSpentUsd()).isCloseTo(gpt4o.cost(900, 400), within(1e-12));
        assertThat(ledger.status("openai-usd", late).getReservedUsd()).isZero();
    }

    /** A dated id is its model's, whatever the case of either: as the price table prices it, the budget holds it. */
    @Test
    void shouldHoldADatedModelIdOfAnyCaseInTheBudgetOfItsModel() {
        ledger.define(Budgets.daily(TENANT, "haiku", 100_000).setProvider("anthropic").setModel("claude-3-5-haiku")
                .build(), MORNING);

        reserve("latest", "Anthropic", "Claude-3-5-Haiku-Latest", 1000, 500);

        assertThat(ledger.status("haiku", MORNING).getReservedTokens()).isEqualTo(1500);
    }

    /** The reserved price stands in for the budgets that held the reservation only, not for one the response names. */
    @Test
    void shouldChargeTheReservedPriceOnlyToTheBudgetsThatHeldTheReservation() {
        ledger.define(Budgets.daily(TENANT, "gpt-4o-usd", 1_000_000).setModel("gpt-4o").setLimitUsd(5.0).build(),
                MORNING);
        reserve("mini", "openai", "gpt-4o-mini", 1000, 500);

        ledger.settle(usage("mini", null, "gpt-4o", null, 900, 400), MORNING);

        assertThat(ledger.status("gpt-4o-usd", MORNING).getSpentTokens()).isEqualTo(1300);
        assertThat(ledger.status("gpt-4o-usd", MORNING).getSpentUsd()).as("unpriced, and never held").isZero();
    }

    @Test
    void shouldRefuseAnUnpricedModelBeforeTellingItToWaitForItsTokens() {
        ledger.define(Budgets.daily(TENANT, "both", 1000).setLimitUsd(1.0).build(), MORNING);
        ledger.settle(usage("spent", null, null, null, 950, 0), MORNING);

        BudgetRefusal refusal = reserve("unpriced", "azure", null, 100, 0).getRefusal();

        assertThat(refusal.getKind()).isEqualTo("unpriced");
        assertThat(refusal.getRetryAfterSeconds()).isNull();
    }

    @Test
    void shouldExpireAnUnsettledReservationAndFreeItsAmount() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        reserve("lost", "openai", "gpt-4o-mini", 500, 100);

        assertThat(ledger.expireAndRoll(MORNING.plus(TTL).minusMillis(1)).audits()).isEmpty();
        LedgerEffects expired = ledger.expireAndRoll(MORNING.plus(TTL));

        assertThat(expired.audits()).singleElement().satisfies(a -> {
            assertThat(a.getAction()).isEqualTo(TenantLedger.EXPIRED);
            assertThat(a.getRequestId()).isEqualTo("lost");
            assertThat(a.getTokens()).isEqualTo(600);
        });
        assertThat(ledger.status("daily", MORNING.plus(TTL)).getReservedTokens()).isZero();
        // a late response still counts as spend, and says so: it settles nothing
        assertThat(ledger.settle(usage("lost", "openai", "gpt-4o-mini", null, 10, 10), MORNING.plus(TTL))
                .audits()).singleElement().satisfies(a -> {
                    assertThat(a.getAction()).isEqualTo(TenantLedger.CHARGED_AFTER_CLOSE);
                    assertThat(a.getRequestId()).isEqualTo("lost");
                    assertThat(a.getTokens()).isEqualTo(20);
                    assertThat(a.getReason()).contains("reservation of 600 tokens was closed");
                });
        assertThat(ledger.status("daily", MORNING.plus(TTL)).getSpentTokens()).isEqualTo(20);
    }

    @Test
    void shouldResetOnceAtTheLocalBoundaryAndReArmTheThresholds() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).setTimeZone("America/New_York").build(), MORNING);
        ledger.settle(usage("a", "openai", "gpt-4o-mini", null, 400, 200), MORNING);
        Instant midnightInNewYork = Instant.parse("2026-01-16T05:00:00Z");

        assertThat(ledger.expireAndRoll(midnightInNewYork.minusMillis(1)).audits()).isEmpty();
        List<BudgetAudit> resets = ledger.expireAndRoll(midnightInNewYork).audits();
        assertThat(ledger.expireAndRoll(midnightInNewYork.plusSeconds(1)).audits()).isEmpty();

        assertThat(resets).singleElement().satisfies(a -> {
            assertThat(a.getAction()).isEqualTo(TenantLedger.RESET);
            assertThat(a.getTokens()).isEqualTo(600);
            assertThat(a.getPeriodEnd()).isEqualTo(midnightInNewYork);
        });
        BudgetStatus next = ledger.status("daily", midnightInNewYork);
        assertThat(next.getSpentTokens()).isZero();
        assertThat(next.getPeriodEnd()).isEqualTo(Instant.parse("2026-01-17T05:00:00Z"));
        assertThat(ledger.settle(usage("b", "openai", "gpt-4o-mini", null, 500, 0), midnightInNewYork).alerts())
                .extracting(BudgetAlert::getThresholdPercent).containsExactly(50);
    }

    /** A zone counts by its rules: spelling out UTC on a re-PUT is the same period, and keeps its spend. */
    @Test
    void shouldKeepThePeriodsSpendWhenARedefinitionOnlySpellsTheSameZoneOtherwise() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        ledger.settle(usage("a", "openai", "gpt-4o-mini", null, 400, 200), MORNING);

        for (String utc : List.of("UTC", "Z", "Etc/UTC")) {
            ledger.define(Budgets.daily(TENANT, "daily", 2000).setTimeZone(utc).build(), MORNING);
            assertThat(ledger.status("daily", MORNING).getSpentTokens()).as(utc).isEqualTo(600);
        }
        ledger.define(Budgets.daily(TENANT, "daily", 2000).setTimeZone("America/New_York").build(), MORNING);
        assertThat(ledger.status("daily", MORNING).getSpentTokens()).as("another clock: a new period").isZero();
        ledger.settle(usage("b", "openai", "gpt-4o-mini", null, 400, 200), MORNING);
        ledger.define(Budgets.daily(TENANT, "daily", 3000).setTimeZone("US/Eastern").build(), MORNING);
        assertThat(ledger.status("daily", MORNING).getSpentTokens()).as("New York by another name").isEqualTo(600);
    }

    @Test
    void shouldAlertEachThresholdOncePerPeriod() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).setHard(false).build(), MORNING);
        assertThat(thresholds(ledger.settle(usage("a", null, null, null, 500, 0), MORNING))).containsExactly(50);
        assertThat(thresholds(ledger.settle(usage("b", null, null, null, 100, 0), MORNING))).isEmpty();
        assertThat(thresholds(ledger.settle(usage("c", null, null, null, 400, 0), MORNING)))
                .containsExactly(80, 95);
        // a soft budget never refuses, however far over it is
        assertThat(reserve("d", "openai", "gpt-4o-mini", 5000, 0).getGranted()).isTrue();
        assertThat(thresholds(ledger.settle(usage("d", null, null, null, 5000, 0), MORNING))).isEmpty();
    }

    /** A limit raised within the period: its thresholds alert again once the spend reaches them under the new one. */
    @Test
    void shouldAlertTheThresholdsAgainAfterTheLimitWasRaised() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).setHard(false).build(), MORNING);
        assertThat(thresholds(ledger.settle(usage("a", null, null, null, 960, 0), MORNING)))
                .containsExactly(50, 80, 95);

        ledger.define(Budgets.daily(TENANT, "daily", 10_000).setHard(false).build(), MORNING);
        assertThat(ledger.status("daily", MORNING).getSpentTokens()).as("the same period, its spend kept")
                .isEqualTo(960);

        assertThat(thresholds(ledger.settle(usage("b", null, null, null, 8700, 0), MORNING)))
                .containsExactly(50, 80, 95);
    }

    /** A budget defined again as it was (a tool re-applying its config, a setting toggled) repeats no alert. */
    @Test
    void shouldNotRepeatAProjectionAlertWhenTheSameLimitIsDefinedAgain() {
        ledger.define(Budgets.daily(TENANT, "daily", 2000).setHard(false).build(), DAY_START);
        for (int hour = 1; hour <= 4; hour++) {
            settleAt(hour);
        }
        assertThat(thresholds(settleAt(5))).as("projected at the fifth event").containsExactly(50, 80, 95, 100);

        LedgerEffects again = ledger.define(Budgets.daily(TENANT, "daily", 2000).setHard(false).setFailClosed(false)
                .build(), DAY_START.plus(Duration.ofHours(6)));

        assertThat(again.alerts()).as("nothing new to alert").isEmpty();
    }

    @Test
    void shouldLimitTokensPerMinuteWithARollingBudget() {
        ledger.define(Budgets.daily(TENANT, "tpm", 1000).setPeriod(BudgetPeriodKind.ROLLING).setRollingSeconds(60L)
                .build(), MORNING);
        ledger.settle(usage("a", null, null, null, 900, 0), MORNING);
        BudgetReservationReply refused = reserve("b", "openai", "gpt-4o-mini", 150, 0);
        assertThat(refused.getRefusal().getBudgetId()).isEqualTo("tpm");
        assertThat(refused.getRefusal().getPeriodEnd()).isEqualTo(MORNING.plusSeconds(61));

        Instant aMinuteLater = MORNING.plusSeconds(61);
        assertThat(ledger.reserve(Budgets.request(TENANT, "c", "openai", "gpt-4o-mini", 150, 0), aMinuteLater)
                .reply().getGranted()).isTrue();
        assertThat(ledger.status("tpm", aMinuteLater).getSpentTokens()).isZero();
    }

    /** Nothing settled in the window yet: no slice ages out, only a reservation's settlement or expiry makes room. */
    @Test
    void shouldAskARollingBudgetWithOnlyReservationsInItsWayToRetryWhenTheFirstExpires() {
        ledger.define(Budgets.daily(TENANT, "tpm", 10_000).setPeriod(BudgetPeriodKind.ROLLING).setRollingSeconds(60L)
                .build(), MORNING);
        assertThat(reserve("a", "openai", "gpt-4o-mini", 4000, 1000).getGranted()).isTrue();
        assertThat(reserve("b", "openai", "gpt-4o-mini", 4000, 1000).getGranted()).isTrue();

        BudgetRefusal refusal = reserve("c", "openai", "gpt-4o-mini", 1, 0).getRefusal();

        assertThat(refusal.getBudgetId()).isEqualTo("tpm");
        assertThat(refusal.getRetryAfterSeconds()).isEqualTo(TTL.toSeconds());
        assertThat(refusal.getMessage()).contains("the first is settled or expires by " + MORNING.plus(TTL));
    }

    @Test
    void shouldBeDueAtTheFirstExpiryPeriodEndOrSliceAgeOutAndNotBeforeIt() {
        assertThat(ledger.nextDue()).as("nothing to do").isNull();
        ledger.define(Budgets.daily(TENANT, "daily", 100_000).setTimeZone("America/New_York").build(), MORNING);
        Instant midnightInNewYork = Instant.parse("2026-01-16T05:00:00Z");
        assertThat(ledger.nextDue()).isEqualTo(midnightInNewYork);
        reserve("r1", "openai", "gpt-4o-mini", 100, 0);
        assertThat(ledger.nextDue()).isEqualTo(MORNING.plus(TTL));
        ledger.define(Budgets.daily(TENANT, "tpm", 100_000).setPeriod(BudgetPeriodKind.ROLLING).setRollingSeconds(60L)
                .build(), MORNING);
        Instant settledAt = MORNING.plusSeconds(30);
        ledger.settle(usage("r1", "openai", "gpt-4o-mini", null, 10, 0), settledAt);
        // one-second slices: the slice of 30 s past leaves the minute's window at 91 s
        Instant agesOut = MORNING.plusSeconds(91);
        assertThat(ledger.nextDue()).isEqualTo(agesOut);

        assertThat(ledger.expireAndRoll(agesOut.minusMillis(1)).changedBudgets()).as("not due yet").isEmpty();
        assertThat(ledger.expireAndRoll(agesOut).changedBudgets()).containsExactly("tpm");
        assertThat(ledger.nextDue()).as("settled: no expiry; no slice left").isEqualTo(midnightInNewYork);
        ledger.expireAndRoll(midnightInNewYork);
        assertThat(ledger.nextDue()).isEqualTo(midnightInNewYork.plus(Duration.ofDays(1)));
    }

    @Test
    void shouldExpireAReservationAfterAnEarlierOneWasSettled() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        reserve("settled", "openai", "gpt-4o-mini", 100, 0);
        Instant minuteLater = MORNING.plusSeconds(60);
        ledger.reserve(Budgets.request(TENANT, "lost", "openai", "gpt-4o-mini", 200, 0), minuteLater);
        ledger.settle(usage("settled", "openai", "gpt-4o-mini", null, 90, 0), minuteLater);

        // the settled one's expiry comes first: nothing is due then, and nothing is lost
        assertThat(ledger.expireAndRoll(MORNING.plus(TTL)).audits()).isEmpty();
        assertThat(ledger.status("daily", MORNING.plus(TTL)).getReservedTokens()).isEqualTo(200);
        List<BudgetAudit> expired = TenantLedger.of(roundTrip(ledger.state()), TENANT, reservations, recent, SETTINGS)
                .expireAndRoll(minuteLater.plus(TTL)).audits();

        assertThat(expired).extracting(BudgetAudit::getRequestId).containsExactly("lost");
    }

    @Test
    void shouldHoldBackReservationsOpenBeforeABudgetWasDefinedOrRescoped() {
        reserve("before", "openai", "gpt-4o-mini", 600, 0);
        ledger.define(Budgets.daily(TENANT, "daily", 1000).setProvider("anthropic").build(), MORNING);
        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isZero();

        ledger.define(Budgets.daily(TENANT, "daily", 1000).setProvider("openai").build(), MORNING);

        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isEqualTo(600);
        BudgetReservationReply refused = reserve("after", "openai", "gpt-4o-mini", 500, 0);
        assertThat(refused.getRefusal().getReserved()).isEqualTo(600);
    }

    @Test
    void shouldKeepOpenReservationsOutOfTheStoredLedger() {
        ledger.define(Budgets.daily(TENANT, "daily", 1_000_000).build(), MORNING);
        reserve("first", "openai", "gpt-4o-mini", 100, 100);
        int withOne = encodedSize(ledger.state());
        for (int i = 0; i < 200; i++) {
            reserve("r" + i, "openai", "gpt-4o-mini", 100, 100);
        }

        // counts and totals take a byte or two more; 200 reservations in the ledger would take kilobytes
        assertThat(encodedSize(ledger.state())).isLessThan(withOne + 8);
        assertThat(reservations.all()).hasSize(201);
        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isEqualTo(201 * 200);
    }

    @Test
    void shouldMoveTheReservationsOfALedgerWrittenWhenTheLedgerHeldThem() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        BudgetLedger written = roundTrip(ledger.state());
        written.getReservations().put("old-settled", reservation(300, MORNING));
        written.getReservations().put("old-lost", reservation(200, MORNING));

        TenantLedger read = TenantLedger.of(written, TENANT, reservations, recent, SETTINGS);

        assertThat(read.changedQuietly()).as("the moved ledger must be stored").isTrue();
        assertThat(read.state().getReservations()).isEmpty();
        assertThat(reservations.all()).containsOnlyKeys("old-settled", "old-lost");
        assertThat(read.status("daily", MORNING).getReservedTokens()).isEqualTo(500);
        assertThat(read.settle(usage("old-settled", "openai", "gpt-4o-mini", null, 250, 0), MORNING).audits())
                .extracting(BudgetAudit::getAction).containsExactly(TenantLedger.SETTLED);
        assertThat(read.expireAndRoll(MORNING.plus(TTL)).audits()).extracting(BudgetAudit::getRequestId)
                .containsExactly("old-lost");
        assertThat(read.status("daily", MORNING.plus(TTL)).getReservedTokens()).isZero();
        assertThat(reservations.all()).isEmpty();
    }

    @Test
    void shouldNotCountARetriedRequestTwice() {
        ledger.define(Budgets.daily(TENANT, "daily", 1000).build(), MORNING);
        reserve("same", "openai", "gpt-4o-mini", 300, 0);
        assertThat(reserve("same", "openai", "gpt-4o-mini", 300, 0).getGranted()).isTrue();
        assertThat(ledger.status("daily", MORNING).getReservedTokens()).isEqualTo(300);
    }

    @Test
    void shouldProjectTheEndOfThePeriodFromTheSpendRateSinceTheBudgetWasDefined() {
        // defined at 01:00 UTC; 100 tokens an hour from 02:00 to 07:00
        Instant defined = DAY_START.plus(Duration.ofHours(1));
        ledger.define(Budgets.daily(TENANT, "daily", 10_000).build(), defined);
        assertThat(ledger.status("daily", defined).getProjection()).as("no rate before any usage").isNull();
        for (int hour = 2; hour <= 7; hour++) {
            ledger.settle(usage("u" + hour, null, null, null, 100, 0), DAY_START.plus(Duration.ofHours(hour)));
        }
        Instant seven = DAY_START.plus(Duration.ofHours(7));

        BudgetProjection p = ledger.status("daily", seven).getProjection();

        // 600 tokens over 6 h observed, 17 h left: 600 + 100 × 17; variance 6 × 100² × u(1 + u), u = 17/6
        double u = 17.0 / 6;
        double spread = StandardNormal.quantile(0.9) * Math.sqrt(6 * 100.0 * 100 * u * (1 + u));
        assertThat(p.getObservedFrom()).isEqualTo(defined);
        assertThat(p.getSettledEvents()).isEqualTo(6);
        assertThat(p.getCoverage()).isEqualTo(0.8);
        assertThat(p.getTokens()).isCloseTo(2300, within(1e-9));
        assertThat(p.getTokensLower()).isCloseTo(2300 - spread, within(1e-6));
        assertThat(p.getTokensUpper()).isCloseTo(2300 + spread, within(1e-6));
        assertThat(p.getExhaustionAt()).as("10,000 is not reached today").isNull();
        assertThat(p.getExhaustionEarliest()).isNull();
    }

    @Test
    void shouldAlertEachProjectedCrossingOncePerPeriodEvenAcrossARestore() {
        ledger.define(Budgets.daily(TENANT, "daily", 2000).setHard(false).build(), DAY_START);
        // 100 tokens an hour: 30 % spent at 03:00 and a day would spend 2,400, but four events are too few to alert on
        for (int hour = 1; hour <= 4; hour++) {
            assertThat(settleAt(hour).alerts()).isEmpty();
        }

        List<BudgetAlert> projected = settleAt(5).alerts();

        // at 05:00, 500 spent at 100 an hour reaches 1,000 at 10:00, 1,600 at 16:00, 1,900 at 19:00, 2,000 at 20:00
        assertThat(projected).extracting(BudgetAlert::getKind).containsOnly(TenantLedger.PROJECTED_TO_CROSS);
        assertThat(projected).extracting(BudgetAlert::getThresholdPercent).containsExactly(50, 80, 95, 100);
        assertThat(projected).extracting(a -> Duration.between(DAY_START, a.getProjectedAt()).toSeconds())
                .containsExactly(10 * 3600L, 16 * 3600L, 19 * 3600L, 20 * 3600L);
        BudgetAlert limit = projected.get(3);
        assertThat(limit.getProjectedEarliest()).isBefore(limit.getProjectedAt());
        // five events leave the rate uncertain: by midnight the interval's lower bound is 2,400 − 1,224 (sd 955)
        assertThat(limit.getProjectedLatest()).isNull();
        assertThat(projected.get(0).getProjectedLatest()).isAfter(projected.get(0).getProjectedAt());
        assertThat(limit.getMessage()).contains("projected to reach 100% at 2026-01-15T20:00:00Z, 80% interval [")
                .endsWith(", not this period]");
        BudgetProjection p = ledger.status("daily", DAY_START.plus(Duration.ofHours(5))).getProjection();
        assertThat(p.getExhaustionAt()).isEqualTo(limit.getProjectedAt());

        TenantLedger restored = TenantLedger.of(roundTrip(ledger.state()), TENANT, reservations, recent, SETTINGS);
        LedgerEffects later = restored.settle(usage("u6", null, null, null, 100, 0),
                DAY_START.plus(Duration.ofHours(6)));
        assertThat(later.alerts()).as("each projection alerted once, remembered by the stored ledger").isEmpty();
        // the real crossings still alert, apart from the projections
        LedgerEffects crossing = restored.settle(usage("big", null, null, null, 500, 0),
                DAY_START.plus(Duration.ofHours(7)));
        assertThat(crossing.alerts()).extracting(BudgetAlert::getKind).containsExactly(TenantLedger.THRESHOLD_CROSSED);
        assertThat(thresholds(crossing)).containsExactly(50);
    }

    @Test
    void shouldNotProjectACrossingOfALimitTooLargeToMultiplyByAPercent() {
        // 10^17 × 100 is past a long: a level computed in longs came out negative, "reached" at once
        ledger.define(Budgets.daily(TENANT, "daily", 100_000_000_000_000_000L).setHard(false).build(), DAY_START);
        for (int hour = 1; hour <= 5; hour++) {
            assertThat(settleAt(hour).alerts()).as("alerts after hour " + hour).isEmpty();
        }

        assertThat(ledger.status("daily", DAY_START.plus(Duration.ofHours(5))).getProjection().getExhaustionAt())
                .isNull();
    }

    @Test
    void shouldCalibrateTheProjectionOnTheBudgetsOwnPastDays() {
        ledger.define(Budgets.daily(TENANT, "daily", 10_000).setHard(false).build(), DAY_START);
        // a daily cycle the constant rate cannot see: 100 tokens an hour until noon, 1,000 an hour after; 13,200 a day
        settleCycle(0);
        BudgetProjection first = ledger.status("daily", DAY_START.plus(Duration.ofHours(6))).getProjection();
        assertThat(first.getTokensCalibrated()).as("no past day to learn from").isFalse();
        assertThat(first.getTokens()).isCloseTo(2400, within(1e-9));
        assertThat(first.getTokensUpper()).as("the normal interval misses the afternoon").isLessThan(13_200);
        settleRest(0);
        settleCycle(1);
        settleRest(1);
        settleCycle(2);
        Instant six = DAY_START.plus(Duration.ofDays(2)).plus(Duration.ofHours(6));

        BudgetProjection p = ledger.status("daily", six).getProjection();

        // the two past days scored their 06:00 neighbourhood (04:00 to 08:00) at 13,200 / 2,400 each: the interval
        // is that correction of the same 2,400, and the limit is reached on the straight line from 600 to 13,200
        assertThat(p.getTokensCalibrated()).isTrue();
        assertThat(p.getTokens()).isCloseTo(13_200, within(0.01));
        assertThat(p.getTokensLower()).isCloseTo(13_200, within(0.01));
        assertThat(p.getTokensUpper()).isCloseTo(13_200, within(0.01));
        assertThat(p.getUsdCalibrated()).as("no price, so no USD spent to score").isFalse();
        long reach = Duration.ofHours(18).toMillis() * 9_400 / 12_600;
        assertThat(Duration.between(six, p.getExhaustionAt()).toMillis()).isCloseTo(reach, within(1000L));
        BudgetProjection restored = TenantLedger.of(roundTrip(ledger.state()), TENANT, reservations, recent, SETTINGS)
                .status("daily", six)
                .getProjection();
        assertThat(restored).as("the calibration is in the stored ledger").isEqualTo(p);
    }

    /** Day {@code day} of the cycle until 06:00: 100 tokens at each hour from 00:00 to 05:00. */
    private void settleCycle(int day) {
        for (int hour = 0; hour < 6; hour++) {
            settleCycleHour(day, hour);
        }
    }

    /** The rest of day {@code day} of the cycle, from 06:00. */
    private void settleRest(int day) {
        for (int hour = 6; hour < 24; hour++) {
            settleCycleHour(day, hour);
        }
    }

    private void settleCycleHour(int day, int hour) {
        ledger.settle(usage("d" + day + "h" + hour, null, null, null, hour < 12 ? 100 : 1000, 0),
                DAY_START.plus(Duration.ofDays(day)).plus(Duration.ofHours(hour)));
    }

    @Test
    void shouldNotProjectARollingBudget() {
        ledger.define(Budgets.daily(TENANT, "tpm", 1000).setPeriod(BudgetPeriodKind.ROLLING).setRollingSeconds(60L)
                .build(), MORNING);
        ledger.settle(usage("a", null, null, null, 900, 0), MORNING.plusSeconds(1));
        assertThat(ledger.status("tpm", MORNING.plusSeconds(2)).getProjection()).isNull();
    }

    private LedgerEffects settleAt(int hour) {
        return ledger.settle(usage("u" + hour, null, null, null, 100, 0), DAY_START.plus(Duration.ofHours(hour)));
    }

    private static BudgetLedger roundTrip(BudgetLedger state) {
        try {
            return BudgetLedger.getDecoder().decode(BudgetLedger.getEncoder().encode(state));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int encodedSize(BudgetLedger state) {
        try {
            return BudgetLedger.getEncoder().encode(state).remaining();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A granted reservation of openai/gpt-4o-mini, as an earlier version kept it in the ledger. */
    private static BudgetReservation reservation(long tokens, Instant at) {
        return BudgetReservation.newBuilder().setProvider("openai").setModel("gpt-4o-mini").setTokens(tokens)
                .setUsd(PriceTable.defaults().priceOf("openai", "gpt-4o-mini").orElseThrow().cost(tokens, 0))
                .setReservedAt(at).setExpiresAt(at.plus(TTL)).build();
    }

    private BudgetReservationReply reserve(String id, String provider, String model, long prompt, long completion) {
        return ledger.reserve(Budgets.request(TENANT, id, provider, model, prompt, completion), MORNING).reply();
    }

    private static List<Integer> thresholds(LedgerEffects effects) {
        return effects.alerts().stream().map(BudgetAlert::getThresholdPercent).toList();
    }

    /** The ledger is one record with every budget of the tenant: their number keeps it far under 1 MB. */
    @Test
    void shouldRefuseANewBudgetPastTheCapAndStillRedefineAnExistingOne() {
        for (int i = 0; i < BudgetValidation.MAX_BUDGETS_PER_TENANT; i++) {
            ledger.define(Budgets.daily(TENANT, "b-" + i, 1000).build(), MORNING);
        }

        assertThatThrownBy(() -> ledger.define(Budgets.daily(TENANT, "one-more", 1000).build(), MORNING))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 100");
        ledger.define(Budgets.daily(TENANT, "b-0", 2000).build(), MORNING);

        assertThat(ledger.state().getBudgets()).hasSize(BudgetValidation.MAX_BUDGETS_PER_TENANT)
                .doesNotContainKey("one-more");
        assertThat(ledger.state().getBudgets().get("b-0").getDefinition().getLimitTokens()).isEqualTo(2000L);
    }

    /**
     * The largest ledger a tenant can make: 100 budgets, every name 256 characters of 3 UTF-8 bytes, 100 thresholds
     * all crossed, both units calibrated over 14 past days. It must stay a record the brokers take (1,048,576 bytes
     * with its key and framing), or the app could not write it and would stall for every tenant of its partition.
     */
    @Test
    void shouldKeepTheLargestLedgerATenantCanMakeUnderTheRecordLimit() {
        String provider = "p" + "€".repeat(BudgetValidation.MAX_NAME_CHARS - 1);
        String model = "m" + "€".repeat(BudgetValidation.MAX_NAME_CHARS - 1);
        String capsule = "c" + "€".repeat(BudgetValidation.MAX_NAME_CHARS - 1);
        LedgerSettings priced = new LedgerSettings(PriceTable.parse(provider + "/" + model + "=0.001:0.002"), TTL, 100);
        TenantLedger largest = TenantLedger.of(null, TENANT, reservations, recent, priced);
        List<Integer> everyPercent = java.util.stream.IntStream.rangeClosed(1, 100).boxed().toList();
        for (int i = 0; i < BudgetValidation.MAX_BUDGETS_PER_TENANT; i++) {
            String id = String.format("%03d", i) + "€".repeat(BudgetValidation.MAX_NAME_CHARS - 3);
            assertThat(BudgetValidation.problems(Budgets.daily(TENANT, id, 1_000).setLimitUsd(0.001).setHard(false)
                    .setProvider(provider).setModel(model).setCapsuleId(capsule)
                    .setTimeZone("America/Argentina/Buenos_Aires").setUpdatedBy("u" + "€".repeat(255))
                    .setThresholdsPercent(everyPercent).build())).isEmpty();
            largest.define(Budgets.daily(TENANT, id, 1_000).setLimitUsd(0.001).setHard(false).setProvider(provider)
                    .setModel(model).setCapsuleId(capsule).setTimeZone("America/Argentina/Buenos_Aires")
                    .setUpdatedBy("u" + "€".repeat(255)).setThresholdsPercent(everyPercent).build(), DAY_START);
        }
        // an hour's usage every hour of 16 days: every checkpoint of 14 whole past periods scored, every threshold
        for (int hour = 0; hour < 16 * 24; hour++) {
            largest.settle(usage("u" + hour, provider, model, capsule, 100 + hour % 7 * 50, 10),
                    DAY_START.plus(Duration.ofHours(hour)).plus(Duration.ofMinutes(30)));
        }

        BudgetLedger state = largest.state();
        assertThat(state.getBudgets()).hasSize(BudgetValidation.MAX_BUDGETS_PER_TENANT)
                .allSatisfy((id, budget) -> {
                    assertThat(budget.getTokensCalibration().getScores()).hasSize(14 * 23);
                    assertThat(budget.getUsdCalibration().getScores()).hasSize(14 * 23);
                    assertThat(budget.getAlertedPercent()).hasSize(100);
                });
        // the record: the ledger's Avro binary (its single-object header of 10 bytes stands for the wire format's 5)
        // and the tenant as its key
        assertThat(encodedSize(state) + TENANT.length()).isLessThan(1_000_000);
    }

    /** Usage reported by an event whose id is also the reservation it settles, as the edge publishes steps. */
    private static Usage usage(String eventId, String provider, String model, String capsuleId, long promptTokens,
                               long completionTokens) {
        return new Usage(eventId, eventId, provider, model, capsuleId, promptTokens, completionTokens);
    }
}
