package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetLedger;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.avro.BudgetPeriodState;
import io.soma.streams.avro.BudgetProjection;
import io.soma.streams.avro.BudgetRefusal;
import io.soma.streams.avro.BudgetReservation;
import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.BudgetReservationRequest;
import io.soma.streams.avro.BudgetSpendBucket;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.avro.ProjectionCalibration;
import io.soma.streams.schemas.Texts;
import io.soma.streams.topologies.forecast.PriceTable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.DoubleUnaryOperator;

/**
 * One tenant's budgets, their periods' spend and the open reservations; every operation takes the time it runs at.
 * A reservation is granted only if, for every applicable hard budget, spent + reserved + estimate stays within each
 * limit; a step whose estimated cost is 0 (a model priced at 0) is never refused by a USD limit. Each operation
 * first rolls calendar periods that ended, so a record that arrives after a boundary never charges the old period.
 * The open reservations are kept apart ({@link OpenReservations}); the ledger holds what each budget has reserved
 * and when the first of them may expire, so an operation touches only the reservation it concerns.
 * A calendar budget's status projects its period's end from the spend so far ({@link SpendProjection}), corrected by
 * the budget's own past projection errors once it has them ({@link ProjectionCalibrator}).
 */
public final class TenantLedger {
    static final String CHANGED = "budget.changed";
    static final String DELETED = "budget.deleted";
    static final String RESET = "budget.reset";
    static final String REFUSED = "reservation.refused";
    /** The refusal of a step that asks for more than a hard budget's whole limit. */
    static final String OVER_LIMIT = "over_limit";
    static final String EXPIRED = "reservation.expired";
    static final String SETTLED = "reservation.settled";
    static final String RELEASED = "reservation.released";
    /**
     * A response for a reservation closed before (expired, released, or settled by an earlier response): charged to
     * the budgets that held it, which may take a hard budget's spend past its limit once the freed amount was granted.
     */
    static final String CHARGED_AFTER_CLOSE = "reservation.charged_after_close";
    /** A usage event delivered again: not counted twice, audited so the tenant can see why. */
    static final String DUPLICATE = "usage.duplicate";
    static final String THRESHOLD_CROSSED = "threshold_crossed";
    static final String PROJECTED_TO_CROSS = "projected_to_cross";
    /** Fewer settled events say too little about a rate to alert on it (the status still shows the projection). */
    static final int MIN_EVENTS_FOR_PROJECTION_ALERT = 5;

    private final BudgetLedger state;
    private final OpenReservations reservations;
    private final RecentIds recent;
    private final LedgerSettings settings;
    /** The state changed in a way no effect shows (reservations moved out, the next expiry moved): store it. */
    private boolean changedQuietly;

    private TenantLedger(BudgetLedger state, OpenReservations reservations, RecentIds recent,
                         LedgerSettings settings) {
        this.state = state;
        this.reservations = reservations;
        this.recent = recent;
        this.settings = settings;
    }

    /**
     * The ledger held in {@code stored}, or an empty one for {@code tenant}, with the tenant's open reservations and
     * the ids it closed or counted lately. A ledger written before reservations were kept apart has its reservations
     * moved to {@code reservations}.
     */
    public static TenantLedger of(BudgetLedger stored, String tenant, OpenReservations reservations,
                                  RecentIds recent, LedgerSettings settings) {
        TenantLedger ledger = new TenantLedger(stored != null ? stored
                : BudgetLedger.newBuilder().setTenant(tenant).setBudgets(new HashMap<>())
                        .setReservations(new HashMap<>()).build(), reservations, recent, settings);
        if (!ledger.state.getReservations().isEmpty()) {
            ledger.moveReservationsOut();
        }
        return ledger;
    }

    public BudgetLedger state() {
        return state;
    }

    /** Nothing left to keep: no budget and no open reservation. */
    public boolean isEmpty() {
        return state.getBudgets().isEmpty() && state.getOpenReservations() == 0;
    }

    /** Whether the state changed although the last operation had no effects, so it must be stored all the same. */
    public boolean changedQuietly() {
        return changedQuietly;
    }

    public String tenant() {
        return state.getTenant();
    }

    /**
     * Adds or replaces a budget (already validated). A replacement with the same period and scope keeps the period's
     * spend; any other change starts a fresh period.
     */
    public LedgerEffects define(BudgetDefinition definition, Instant now) {
        String id = definition.getBudgetId();
        BudgetPeriodState before = state.getBudgets().get(id);
        if (before == null && state.getBudgets().size() >= BudgetValidation.MAX_BUDGETS_PER_TENANT) {
            throw new IllegalArgumentException("tenant " + BudgetValidation.shown(tenant()) + " holds "
                    + state.getBudgets().size() + " budgets, at most " + BudgetValidation.MAX_BUDGETS_PER_TENANT
                    + "; budget " + BudgetValidation.shown(id) + " is not defined");
        }
        LedgerEffects effects = roll(now);
        BudgetPeriodState after;
        if (before != null && samePeriodAndScope(before.getDefinition(), definition)) {
            double usedBefore = usedPercent(before);
            after = before;
            after.setDefinition(definition);
            double used = usedPercent(after);
            if (used < usedBefore) {
                // a raised limit: what the spend no longer reaches alerts again when it does (a projection, whatever
                // the new limit makes of it); the same limit again repeats nothing
                after.getAlertedPercent().removeIf(t -> t > used);
                after.getProjectionAlertedPercent().removeIf(t -> t > used);
            }
        } else {
            BudgetPeriods.Window window = definition.getPeriod() == BudgetPeriodKind.ROLLING
                    ? new BudgetPeriods.Window(now, now)
                    : BudgetPeriods.current(definition, now);
            after = BudgetPeriodState.newBuilder().setDefinition(definition).setPeriodStart(window.start())
                    .setPeriodEnd(window.end()).setSpentTokens(0).setSpentUsd(0).setRolling(new ArrayList<>())
                    .setAlertedPercent(new ArrayList<>()).setObservedFrom(now)
                    .setProjectionAlertedPercent(new ArrayList<>()).build();
        }
        state.getBudgets().put(id, after);
        if (after != before && state.getOpenReservations() > 0) {
            // a new budget, or a new scope: what it holds back is the open reservations it now applies to
            recount(reservations.all().values());
        }
        effects.audit(audit(id, CHANGED, null, now).setReason((before == null ? "defined: " : "redefined: ")
                + describe(definition)).build());
        effects.changed(id);
        alertOnThresholds(id, after, now, effects);
        return effects;
    }

    public LedgerEffects delete(String budgetId, Instant now) {
        LedgerEffects effects = roll(now);
        BudgetPeriodState removed = state.getBudgets().remove(budgetId);
        if (removed != null) {
            effects.audit(audit(budgetId, DELETED, null, now).setTokens(spentTokens(removed))
                    .setUsd(spentUsd(removed)).setReason("deleted; spend of the current period shown").build());
            effects.deleted(budgetId);
        }
        return effects;
    }

    /** The decision on one request, with the records it produced. */
    public record Decision(BudgetReservationReply reply, LedgerEffects effects) {
    }

    public Decision reserve(BudgetReservationRequest request, Instant now) {
        LedgerEffects effects = roll(now);
        String requestId = request.getRequestId();
        BudgetReservation existing = state.getOpenReservations() == 0 ? null : reservations.get(requestId);
        if (existing == null) {
            existing = recent.closed(requestId);
        }
        if (existing != null) {
            // a retried request must not be counted twice, nor reserved again once its reservation closed
            return new Decision(granted(request, existing, now), effects);
        }
        long completion = request.getMaxCompletionTokens() != null ? request.getMaxCompletionTokens()
                : settings.defaultMaxCompletionTokens();
        if (!BudgetValidation.stepTokensInRange(request.getPromptTokens())
                || !BudgetValidation.stepTokensInRange(completion)) {
            BudgetRefusal refusal = BudgetRefusal.newBuilder().setKind("invalid")
                    .setMessage("prompt_tokens and max_completion_tokens must each be in 0.."
                            + BudgetValidation.MAX_STEP_TOKENS).build();
            effects.audit(audit(null, REFUSED, requestId, now).setReason(refusal.getMessage()).build());
            return new Decision(refused(request, refusal, now), effects);
        }
        long tokens = request.getPromptTokens() + completion;
        Optional<PriceTable.Price> price = price(request.getProvider(), request.getModel());
        Double usd = price.map(p -> p.cost(request.getPromptTokens(), completion)).orElse(null);
        BudgetRefusal refusal = null;
        for (Map.Entry<String, BudgetPeriodState> e : new TreeMap<>(state.getBudgets()).entrySet()) {
            BudgetDefinition d = e.getValue().getDefinition();
            if (d.getHard() && applies(d, request.getProvider(), request.getModel(), request.getCapsuleId())) {
                refusal = longerRefusal(refusal, refusal(e.getKey(), e.getValue(), tokens, usd, request, now));
            }
        }
        if (refusal != null) {
            effects.audit(audit(refusal.getBudgetId(), REFUSED, requestId, now).setTokens(tokens).setUsd(usd)
                    .setReason(refusal.getMessage()).build());
            return new Decision(refused(request, refusal, now), effects);
        }
        BudgetReservation reservation = BudgetReservation.newBuilder().setProvider(request.getProvider())
                .setModel(request.getModel()).setCapsuleId(request.getCapsuleId()).setTokens(tokens)
                .setUsd(usd == null ? 0 : usd).setReservedAt(now).setExpiresAt(now.plus(settings.reservationTtl()))
                .build();
        reservations.put(requestId, reservation);
        hold(reservation, 1, effects);
        state.setNextExpiry(earlier(state.getNextExpiry(), reservation.getExpiresAt()));
        return new Decision(granted(request, reservation, now), effects);
    }

    /**
     * Replaces the reservation the usage settles (if any) by the actual usage, and alerts on thresholds crossed. The
     * usage is charged to the budgets its event names and to those that held the reservation. An event counted
     * lately is audited as a duplicate and counted no more.
     */
    public LedgerEffects settle(Usage usage, Instant now) {
        // refused before anything changes: the event goes to the dead-letter topic
        if (!BudgetValidation.stepTokensInRange(usage.promptTokens())
                || !BudgetValidation.stepTokensInRange(usage.completionTokens())) {
            throw new IllegalArgumentException("usage of " + Texts.cut(usage.reservationId(), 200) + " reports "
                    + usage.promptTokens() + " prompt and " + usage.completionTokens()
                    + " completion tokens; each must be in 0.." + BudgetValidation.MAX_STEP_TOKENS);
        }
        LedgerEffects effects = roll(now);
        if (isEmpty()) {
            // no budget to charge, no reservation to settle: nothing to count, nor to remember
            return effects;
        }
        long tokens = usage.tokens();
        Optional<PriceTable.Price> price = price(usage.provider(), usage.model());
        double usd = cost(price, usage);
        if (recent.counted(usage.eventId())) {
            // its reservation can be open still if the first copy overtook the request: it is settled all the same
            BudgetReservation open = takeOpen(usage.reservationId(), now, effects);
            effects.audit(audit(null, DUPLICATE, usage.reservationId(), now).setTokens(tokens).setUsd(usd)
                    .setReason("event " + Texts.cut(usage.eventId(), 200) + " was counted already; not again"
                            + (open == null ? "" : "; its reservation of " + open.getTokens() + " tokens freed"))
                    .build());
            return effects;
        }
        recent.count(usage.eventId(), now);
        BudgetReservation settled = takeOpen(usage.reservationId(), now, effects);
        // the budgets that held the reservation are charged even when it has expired or was released meanwhile: a
        // response that comes later still counts as spend, and may name less than the reservation did
        BudgetReservation heldBy = settled != null || usage.reservationId() == null ? settled
                : recent.closed(usage.reservationId());
        // for the budgets that held the reservation, a response that names no priced model (none, or a provider left
        // out) costs what the step reserved at: counted at nothing, it would free their USD and charge them none
        double heldUsd = heldBy == null || price.isPresent() ? usd
                : cost(price(heldBy.getProvider(), heldBy.getModel()), usage);
        if (settled != null) {
            effects.audit(audit(null, SETTLED, usage.reservationId(), now).setTokens(tokens).setUsd(heldUsd)
                    .setReason("reserved " + settled.getTokens() + " tokens, used " + tokens).build());
        } else if (heldBy != null) {
            effects.audit(audit(null, CHARGED_AFTER_CLOSE, usage.reservationId(), now).setTokens(tokens)
                    .setUsd(heldUsd).setReason("a response after its reservation of " + heldBy.getTokens()
                            + " tokens was closed (expired, released or settled): used " + tokens
                            + ", charged to the budgets that held it").build());
        }
        for (Map.Entry<String, BudgetPeriodState> e : new TreeMap<>(state.getBudgets()).entrySet()) {
            BudgetDefinition d = e.getValue().getDefinition();
            // the budgets that held the reservation are charged too, whatever the response names: a gateway's
            // response may name the model as its API answers it (gpt-4o-2024-08-06 for a step reserved as gpt-4o)
            boolean held = heldBy != null
                    && applies(d, heldBy.getProvider(), heldBy.getModel(), heldBy.getCapsuleId());
            if (held || applies(d, usage.provider(), usage.model(), usage.capsuleId())) {
                addSpend(e.getValue(), tokens, held ? heldUsd : usd, now);
                effects.changed(e.getKey());
                alertOnThresholds(e.getKey(), e.getValue(), now, effects);
            }
        }
        return effects;
    }

    /**
     * Frees the open reservation {@code requestId} names, its caller having said it will not be used, audited;
     * nothing when none is open (never granted, already settled, expired or released).
     */
    public LedgerEffects release(String requestId, Instant now) {
        LedgerEffects effects = roll(now);
        BudgetReservation open = takeOpen(requestId, now, effects);
        if (open != null) {
            effects.audit(audit(null, RELEASED, requestId, now).setTokens(open.getTokens()).setUsd(open.getUsd())
                    .setReason("released unused: the step was not published, not allowed, or not waited for")
                    .build());
        }
        return effects;
    }

    /** The open reservation {@code requestId} names, removed and its amount freed; null when none is open. */
    private BudgetReservation takeOpen(String requestId, Instant now, LedgerEffects effects) {
        BudgetReservation open = state.getOpenReservations() == 0 ? null : reservations.get(requestId);
        if (open != null) {
            reservations.delete(requestId);
            recent.close(requestId, open, now);
            hold(open, -1, effects);
        }
        return open;
    }

    /**
     * Rolls periods, then drops reservations past their expiry, freeing their amount, and audits each. The open
     * reservations are read only once the ledger's next expiry has come.
     */
    public LedgerEffects expireAndRoll(Instant now) {
        LedgerEffects effects = roll(now);
        if (state.getNextExpiry() == null || now.isBefore(state.getNextExpiry())) {
            return effects;
        }
        SortedMap<String, BudgetReservation> open = reservations.all();
        for (Iterator<Map.Entry<String, BudgetReservation>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, BudgetReservation> e = it.next();
            BudgetReservation r = e.getValue();
            if (!now.isBefore(r.getExpiresAt())) {
                it.remove();
                reservations.delete(e.getKey());
                recent.close(e.getKey(), r, now);
                hold(r, -1, effects);
                effects.audit(audit(null, EXPIRED, e.getKey(), now).setTokens(r.getTokens()).setUsd(r.getUsd())
                        .setReason("not settled by " + r.getExpiresAt() + "; amount freed").build());
            }
        }
        // the exact next expiry, and the totals summed afresh from what is left
        recount(open.values());
        changedQuietly = true;
        return effects;
    }

    /**
     * The first time {@link #expireAndRoll} has something to do: the earliest of the open reservations' next expiry,
     * a calendar period's end and a rolling budget's oldest slice ageing out; null when nothing will come due.
     */
    public Instant nextDue() {
        Instant due = state.getOpenReservations() > 0 ? state.getNextExpiry() : null;
        for (BudgetPeriodState s : state.getBudgets().values()) {
            due = earlier(due, s.getDefinition().getPeriod() == BudgetPeriodKind.ROLLING ? oldestSliceAgesOut(s)
                    : s.getPeriodEnd());
        }
        return due;
    }

    public BudgetStatus status(String budgetId, Instant now) {
        BudgetPeriodState s = state.getBudgets().get(budgetId);
        BudgetDefinition d = s.getDefinition();
        BudgetPeriods.Window window = window(s, now);
        long spentTokens = spentTokens(s);
        double spentUsd = spentUsd(s);
        long reservedTokens = s.getReservedTokens();
        double reservedUsd = s.getReservedUsd();
        return BudgetStatus.newBuilder().setTenant(state.getTenant()).setBudgetId(budgetId)
                .setPeriodStart(window.start()).setPeriodEnd(window.end())
                .setLimitTokens(d.getLimitTokens()).setLimitUsd(d.getLimitUsd())
                .setSpentTokens(spentTokens).setSpentUsd(spentUsd)
                .setReservedTokens(reservedTokens).setReservedUsd(reservedUsd)
                .setRemainingTokens(d.getLimitTokens() == null ? null : d.getLimitTokens() - spentTokens - reservedTokens)
                .setRemainingUsd(d.getLimitUsd() == null ? null : d.getLimitUsd() - spentUsd - reservedUsd)
                .setHard(d.getHard()).setFailClosed(d.getFailClosed()).setUpdatedAt(now)
                .setProjection(projection(s, now)).build();
    }

    /** The period's end and the limit's exhaustion as projected at {@code now}; null when there is no rate yet. */
    private static BudgetProjection projection(BudgetPeriodState s, Instant now) {
        Optional<SpendPath> tokens = projectedTokens(s, now);
        Optional<SpendPath> usd = projectedUsd(s, now);
        if (tokens.isEmpty() || usd.isEmpty()) {
            return null;
        }
        double horizon = Duration.between(now, s.getPeriodEnd()).toMillis();
        Reach exhaustion = reach(s, 100, now);
        return BudgetProjection.newBuilder().setCoverage(SpendProjection.COVERAGE)
                .setTokensCalibrated(tokens.get().calibrated())
                .setUsdCalibrated(usd.get().calibrated()).setObservedFrom(observedFrom(s))
                .setSettledEvents(s.getSettledEvents())
                .setTokens(tokens.get().mean(horizon)).setTokensLower(tokens.get().lower(horizon))
                .setTokensUpper(tokens.get().upper(horizon))
                .setUsd(usd.get().mean(horizon)).setUsdLower(usd.get().lower(horizon))
                .setUsdUpper(usd.get().upper(horizon))
                .setExhaustionAt(exhaustion.at()).setExhaustionEarliest(exhaustion.earliest())
                .setExhaustionLatest(exhaustion.latest()).build();
    }

    private static Optional<SpendPath> projectedTokens(BudgetPeriodState s, Instant now) {
        return projected(s, now, s.getSpentTokens(), s.getSpentTokensSquares(), s.getTokensCalibration());
    }

    private static Optional<SpendPath> projectedUsd(BudgetPeriodState s, Instant now) {
        return projected(s, now, s.getSpentUsd(), s.getSpentUsdSquares(), s.getUsdCalibration());
    }

    /**
     * One unit's projection: calendar periods only, once some usage was settled over some time. The constant rate,
     * corrected by the budget's past errors once it has enough of them ({@link ProjectionCalibrator}).
     */
    private static Optional<SpendPath> projected(BudgetPeriodState s, Instant now, double spent, double squares,
                                                 ProjectionCalibration calibration) {
        long observedMs = Duration.between(observedFrom(s), now).toMillis();
        if (s.getDefinition().getPeriod() == BudgetPeriodKind.ROLLING || s.getSettledEvents() == 0
                || observedMs <= 0 || !now.isBefore(s.getPeriodEnd())) {
            return Optional.empty();
        }
        SpendProjection raw = new SpendProjection(spent, squares, observedMs);
        Optional<ProjectionCalibrator.Correction> correction = calibration == null ? Optional.empty()
                : ProjectionCalibrator.at(calibration, periodFraction(s, now));
        double horizon = Duration.between(now, s.getPeriodEnd()).toMillis();
        return Optional.of(correction.<SpendPath>map(c -> CalibratedSpend.of(raw, spent, horizon, c)).orElse(raw));
    }

    /** How far {@code now} is into the calendar period, from 0 at its start to 1 at its end. */
    private static double periodFraction(BudgetPeriodState s, Instant now) {
        double length = Duration.between(s.getPeriodStart(), s.getPeriodEnd()).toMillis();
        return Duration.between(s.getPeriodStart(), now).toMillis() / length;
    }

    /** Records the spend at the checkpoints of the period that {@code now} has passed, for the calibration. */
    private static void passCheckpoints(BudgetPeriodState s, Instant now) {
        double fraction = Math.min(1, periodFraction(s, now));
        ProjectionCalibrator.pass(calibration(s, true), fraction, s.getSpentTokens());
        ProjectionCalibrator.pass(calibration(s, false), fraction, s.getSpentUsd());
    }

    /** A unit's calibration, made empty in a ledger written before it. */
    private static ProjectionCalibration calibration(BudgetPeriodState s, boolean tokens) {
        ProjectionCalibration c = tokens ? s.getTokensCalibration() : s.getUsdCalibration();
        if (c == null) {
            c = ProjectionCalibrator.empty();
            if (tokens) {
                s.setTokensCalibration(c);
            } else {
                s.setUsdCalibration(c);
            }
        }
        return c;
    }

    private static Instant observedFrom(BudgetPeriodState s) {
        return s.getObservedFrom() != null ? s.getObservedFrom() : s.getPeriodStart();
    }

    /** When the projection, and the upper and lower bounds of its interval, reach a level before the period ends. */
    private record Reach(Instant at, Instant earliest, Instant latest) {
    }

    /** The first time any limited unit reaches {@code percent} of its limit, by the projection and by each bound. */
    private static Reach reach(BudgetPeriodState s, int percent, Instant now) {
        BudgetDefinition d = s.getDefinition();
        double horizon = Duration.between(now, s.getPeriodEnd()).toMillis();
        List<SpendPath> units = new ArrayList<>();
        List<Double> levels = new ArrayList<>();
        if (d.getLimitTokens() != null) {
            projectedTokens(s, now).ifPresent(units::add);
            // in doubles: a long limit times a percent can pass Long.MAX_VALUE
            levels.add(d.getLimitTokens() * (percent / 100.0));
        }
        if (d.getLimitUsd() != null) {
            projectedUsd(s, now).ifPresent(units::add);
            levels.add(d.getLimitUsd() * (percent / 100.0));
        }
        if (units.size() != levels.size()) {
            return new Reach(null, null, null);
        }
        Instant at = null;
        Instant earliest = null;
        Instant latest = null;
        for (int i = 0; i < units.size(); i++) {
            SpendPath unit = units.get(i);
            double level = levels.get(i);
            at = earlier(at, firstReach(unit::mean, level, horizon, now));
            earliest = earlier(earliest, firstReach(unit::upper, level, horizon, now));
            latest = earlier(latest, firstReach(unit::lower, level, horizon, now));
        }
        return new Reach(at, earliest, latest);
    }

    private static Instant firstReach(DoubleUnaryOperator bound, double level, double horizon, Instant now) {
        OptionalDouble ahead = SpendProjection.firstReach(bound, level, horizon);
        return ahead.isPresent() ? now.plusMillis(Math.round(ahead.getAsDouble())) : null;
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }

    /**
     * Moves every calendar budget whose period ended to the period holding {@code now}, with one audited reset
     * however many periods passed (the app may have been down); thresholds re-arm. Rolling budgets drop the
     * slices that left their window.
     */
    private LedgerEffects roll(Instant now) {
        LedgerEffects effects = new LedgerEffects();
        for (Map.Entry<String, BudgetPeriodState> e : new TreeMap<>(state.getBudgets()).entrySet()) {
            BudgetPeriodState s = e.getValue();
            BudgetDefinition d = s.getDefinition();
            if (d.getPeriod() == BudgetPeriodKind.ROLLING) {
                if (pruneRolling(s, now)) {
                    effects.changed(e.getKey());
                }
            } else if (!now.isBefore(s.getPeriodEnd())) {
                BudgetPeriods.Window next = BudgetPeriods.current(d, now);
                effects.audit(audit(e.getKey(), RESET, null, now).setPeriodStart(s.getPeriodStart())
                        .setPeriodEnd(s.getPeriodEnd()).setTokens(s.getSpentTokens()).setUsd(s.getSpentUsd())
                        .setReason("period ended; new period " + next.start() + " to " + next.end()
                                + " (" + BudgetPeriods.zone(d) + ")").build());
                boolean wholePeriod = !observedFrom(s).isAfter(s.getPeriodStart());
                ProjectionCalibrator.close(calibration(s, true), s.getSpentTokens(), wholePeriod);
                ProjectionCalibrator.close(calibration(s, false), s.getSpentUsd(), wholePeriod);
                s.setPeriodStart(next.start());
                s.setPeriodEnd(next.end());
                s.setSpentTokens(0);
                s.setSpentUsd(0);
                s.setAlertedPercent(new ArrayList<>());
                s.setObservedFrom(next.start());
                s.setSettledEvents(0);
                s.setSpentTokensSquares(0);
                s.setSpentUsdSquares(0);
                s.setProjectionAlertedPercent(new ArrayList<>());
                effects.changed(e.getKey());
            }
        }
        return effects;
    }

    /** Drops slices that left the window; a threshold the spend fell back under re-arms. */
    private boolean pruneRolling(BudgetPeriodState s, Instant now) {
        Duration length = BudgetPeriods.rollingLength(s.getDefinition());
        long slice = BudgetPeriods.sliceMillis(length);
        long oldestKept = now.toEpochMilli() - length.toMillis();
        boolean dropped = s.getRolling().removeIf(b -> b.getStart().toEpochMilli() + slice <= oldestKept);
        if (dropped) {
            double used = usedPercent(s);
            s.getAlertedPercent().removeIf(t -> t > used);
        }
        return dropped;
    }

    private void addSpend(BudgetPeriodState s, long tokens, double usd, Instant now) {
        if (s.getDefinition().getPeriod() != BudgetPeriodKind.ROLLING) {
            passCheckpoints(s, now);
            s.setSpentTokens(s.getSpentTokens() + tokens);
            s.setSpentUsd(s.getSpentUsd() + usd);
            s.setSettledEvents(s.getSettledEvents() + 1);
            s.setSpentTokensSquares(s.getSpentTokensSquares() + (double) tokens * tokens);
            s.setSpentUsdSquares(s.getSpentUsdSquares() + usd * usd);
            return;
        }
        long slice = BudgetPeriods.sliceMillis(BudgetPeriods.rollingLength(s.getDefinition()));
        Instant start = Instant.ofEpochMilli(BudgetPeriods.sliceStart(now.toEpochMilli(), slice));
        List<BudgetSpendBucket> buckets = s.getRolling();
        BudgetSpendBucket last = buckets.isEmpty() ? null : buckets.get(buckets.size() - 1);
        if (last != null && last.getStart().equals(start)) {
            last.setTokens(last.getTokens() + tokens);
            last.setUsd(last.getUsd() + usd);
        } else {
            buckets.add(BudgetSpendBucket.newBuilder().setStart(start).setTokens(tokens).setUsd(usd).build());
        }
    }

    private void alertOnThresholds(String budgetId, BudgetPeriodState s, Instant now, LedgerEffects effects) {
        double used = usedPercent(s);
        BudgetPeriods.Window window = window(s, now);
        for (int threshold : s.getDefinition().getThresholdsPercent()) {
            if (used >= threshold && !s.getAlertedPercent().contains(threshold)) {
                s.getAlertedPercent().add(threshold);
                effects.alert(alert(budgetId, s, THRESHOLD_CROSSED, threshold, used, window, now)
                        .setMessage(String.format(Locale.ROOT, "budget %s at %.1f%% of its limit (threshold %d%%)",
                                budgetId, used, threshold)).build());
            }
        }
        alertOnProjection(budgetId, s, used, window, now, effects);
    }

    /**
     * Alerts each threshold, and the limit itself, once per period when the projection reaches it before the period
     * ends while the spend has not: a crossing already seen needs no forecast.
     */
    private void alertOnProjection(String budgetId, BudgetPeriodState s, double used, BudgetPeriods.Window window,
                                   Instant now, LedgerEffects effects) {
        if (s.getSettledEvents() < MIN_EVENTS_FOR_PROJECTION_ALERT) {
            return;
        }
        TreeSet<Integer> levels = new TreeSet<>(s.getDefinition().getThresholdsPercent());
        levels.add(100);
        for (int level : levels) {
            if (used >= level || s.getProjectionAlertedPercent().contains(level)) {
                continue;
            }
            Reach reach = reach(s, level, now);
            if (reach.at() == null) {
                continue;
            }
            s.getProjectionAlertedPercent().add(level);
            effects.alert(alert(budgetId, s, PROJECTED_TO_CROSS, level, used, window, now)
                    .setProjectedAt(reach.at()).setProjectedEarliest(reach.earliest())
                    .setProjectedLatest(reach.latest())
                    .setMessage(String.format(Locale.ROOT,
                            "budget %s at %.1f%% is projected to reach %d%% at %s, %.0f%% interval [%s, %s]",
                            budgetId, used, level, reach.at(), 100 * SpendProjection.COVERAGE, reach.earliest(),
                            reach.latest() != null ? reach.latest() : "not this period")).build());
        }
    }

    private BudgetAlert.Builder alert(String budgetId, BudgetPeriodState s, String kind, int percent, double used,
                                      BudgetPeriods.Window window, Instant now) {
        return BudgetAlert.newBuilder().setAlertId(UUID.randomUUID().toString()).setTenant(state.getTenant())
                .setBudgetId(budgetId).setKind(kind).setThresholdPercent(percent).setUsedPercent(used)
                .setSpentTokens(spentTokens(s)).setSpentUsd(spentUsd(s))
                .setPeriodStart(window.start()).setPeriodEnd(window.end()).setRaisedAt(now);
    }

    /** Spend in percent of the limit: the larger of tokens and USD when both are limited. */
    private static double usedPercent(BudgetPeriodState s) {
        BudgetDefinition d = s.getDefinition();
        double used = 0;
        if (d.getLimitTokens() != null) {
            used = Math.max(used, 100.0 * spentTokens(s) / d.getLimitTokens());
        }
        if (d.getLimitUsd() != null) {
            used = Math.max(used, 100.0 * spentUsd(s) / d.getLimitUsd());
        }
        return used;
    }

    private BudgetRefusal refusal(String budgetId, BudgetPeriodState s, long tokens, Double usd,
                                  BudgetReservationRequest request, Instant now) {
        BudgetDefinition d = s.getDefinition();
        BudgetStatus status = status(budgetId, now);
        Instant resetAt = resetAt(s, now);
        // a step larger than the limit itself is refused in any period: waiting for a reset would not help
        if (d.getLimitTokens() != null && tokens > d.getLimitTokens()) {
            return overLimit(budgetId, "tokens", d.getLimitTokens(), status.getSpentTokens(),
                    status.getReservedTokens(), tokens, resetAt);
        }
        if (d.getLimitUsd() != null && usd != null && usd > d.getLimitUsd()) {
            return overLimit(budgetId, "usd", d.getLimitUsd(), status.getSpentUsd(), status.getReservedUsd(), usd,
                    resetAt);
        }
        if (d.getLimitUsd() != null && usd == null) {
            // waiting cures no unknown price: before a token refusal that would only send the client back to this one
            return BudgetRefusal.newBuilder().setBudgetId(budgetId).setKind("unpriced").setUnit("usd")
                    .setLimit(d.getLimitUsd()).setMessage("budget " + budgetId + " limits USD and "
                            + request.getProvider() + "/" + request.getModel() + " has no price").build();
        }
        BudgetRefusal byTokens = null;
        if (d.getLimitTokens() != null
                && status.getSpentTokens() + status.getReservedTokens() + tokens > d.getLimitTokens()) {
            byTokens = refusalOf(budgetId, "exceeded", "tokens", d.getLimitTokens(), status.getSpentTokens(),
                    status.getReservedTokens(), tokens, resetAt,
                    retryAt(d, status.getSpentTokens() + tokens <= d.getLimitTokens(), resetAt, now), now);
        }
        if (d.getLimitUsd() == null) {
            return byTokens;
        }
        // a step that costs nothing is never held back by a cost limit, however much else was spent
        if (usd > 0 && status.getSpentUsd() + status.getReservedUsd() + usd > d.getLimitUsd()) {
            return longerRefusal(byTokens, refusalOf(budgetId, "exceeded", "usd", d.getLimitUsd(),
                    status.getSpentUsd(), status.getReservedUsd(), usd, resetAt,
                    retryAt(d, status.getSpentUsd() + usd <= d.getLimitUsd(), resetAt, now), now));
        }
        return byTokens;
    }

    /**
     * Of two refusals (either may be null), the one a client should act on: one that waiting cannot cure, else the
     * one that lasts longer, so that a {@code Retry-After} does not send the client back to another refusal. The first
     * on a tie.
     */
    private static BudgetRefusal longerRefusal(BudgetRefusal first, BudgetRefusal second) {
        if (first == null || second == null) {
            return first == null ? second : first;
        }
        if (first.getRetryAfterSeconds() == null || second.getRetryAfterSeconds() == null) {
            return first.getRetryAfterSeconds() == null ? first : second;
        }
        return second.getRetryAfterSeconds() > first.getRetryAfterSeconds() ? second : first;
    }

    private static BudgetRefusal overLimit(String budgetId, String unit, double limit, double spent, double reserved,
                                           double requested, Instant periodEnd) {
        return numbers(budgetId, OVER_LIMIT, unit, limit, spent, reserved, requested, periodEnd)
                .setMessage(String.format(Locale.ROOT, "budget %s: this step alone asks for %s %s, more than its "
                        + "limit of %s in any period; declare a smaller max_completion_tokens or raise the limit",
                        budgetId, number(requested), unit, number(limit)))
                .build();
    }

    /**
     * When a refused request may be granted: at the reset; or, when only open reservations stand in the way (spend
     * and the request fit), by the time the first of those the budget holds is settled or expires, if that is sooner.
     * Read from the open reservations themselves, on refusals only: the ledger's next expiry is the whole tenant's,
     * and is not moved when a reservation is settled.
     */
    private Instant retryAt(BudgetDefinition budget, boolean onlyReservationsInTheWay, Instant resetAt, Instant now) {
        // a rolling budget with nothing spent in its window has no slice to age out: only reservations make room
        boolean resets = resetAt.isAfter(now);
        // the ledger's next expiry is no later than any open reservation's: none before the reset, nothing to read
        if (!onlyReservationsInTheWay || state.getOpenReservations() == 0 || state.getNextExpiry() == null
                || resets && !state.getNextExpiry().isBefore(resetAt)) {
            return resetAt;
        }
        Instant firstExpiry = null;
        for (BudgetReservation r : reservations.all().values()) {
            if (applies(budget, r.getProvider(), r.getModel(), r.getCapsuleId())) {
                firstExpiry = earlier(firstExpiry, r.getExpiresAt());
            }
        }
        return firstExpiry != null && (!resets || firstExpiry.isBefore(resetAt)) ? firstExpiry : resetAt;
    }

    private static BudgetRefusal refusalOf(String budgetId, String kind, String unit, double limit, double spent,
                                           double reserved, double requested, Instant resetAt, Instant retryAt,
                                           Instant now) {
        long retryAfter = Math.max(1, (Duration.between(now, retryAt).toMillis() + 999) / 1000);
        String until = retryAt.equals(resetAt) ? "until " + resetAt
                : "while reservations are open; the first is settled or expires by " + retryAt;
        return numbers(budgetId, kind, unit, limit, spent, reserved, requested, resetAt)
                .setRetryAfterSeconds(retryAfter)
                .setMessage(String.format(Locale.ROOT,
                        "budget %s: %s %s spent + %s reserved + %s requested exceeds the limit of %s %s",
                        budgetId, unit, number(spent), number(reserved), number(requested), number(limit), until))
                .build();
    }

    /** What a refusal names: the budget, why, in which unit, and its numbers. */
    private static BudgetRefusal.Builder numbers(String budgetId, String kind, String unit, double limit, double spent,
                                                 double reserved, double requested, Instant periodEnd) {
        return BudgetRefusal.newBuilder().setBudgetId(budgetId).setKind(kind).setUnit(unit).setLimit(limit)
                .setSpent(spent).setReserved(reserved).setRequested(requested).setPeriodEnd(periodEnd);
    }

    /** When a refused request may succeed: the period's end, or when the oldest rolling slice ages out. */
    private static Instant resetAt(BudgetPeriodState s, Instant now) {
        BudgetDefinition d = s.getDefinition();
        if (d.getPeriod() != BudgetPeriodKind.ROLLING) {
            return s.getPeriodEnd();
        }
        return s.getRolling().isEmpty() ? now : oldestSliceAgesOut(s);
    }

    /** When a rolling budget's oldest slice leaves its window; null when it has none. */
    private static Instant oldestSliceAgesOut(BudgetPeriodState s) {
        if (s.getRolling().isEmpty()) {
            return null;
        }
        Duration length = BudgetPeriods.rollingLength(s.getDefinition());
        return s.getRolling().get(0).getStart().plusMillis(BudgetPeriods.sliceMillis(length)).plus(length);
    }

    private static BudgetPeriods.Window window(BudgetPeriodState s, Instant now) {
        return s.getDefinition().getPeriod() == BudgetPeriodKind.ROLLING
                ? BudgetPeriods.rolling(BudgetPeriods.rollingLength(s.getDefinition()), now)
                : new BudgetPeriods.Window(s.getPeriodStart(), s.getPeriodEnd());
    }

    private static long spentTokens(BudgetPeriodState s) {
        return s.getDefinition().getPeriod() == BudgetPeriodKind.ROLLING
                ? s.getRolling().stream().mapToLong(BudgetSpendBucket::getTokens).sum()
                : s.getSpentTokens();
    }

    private static double spentUsd(BudgetPeriodState s) {
        return s.getDefinition().getPeriod() == BudgetPeriodKind.ROLLING
                ? s.getRolling().stream().mapToDouble(BudgetSpendBucket::getUsd).sum()
                : s.getSpentUsd();
    }

    /**
     * Counts a reservation that opens ({@code sign} 1) or closes (-1) in the tenant's total and in every budget it
     * applies to, whose status so changes.
     */
    private void hold(BudgetReservation r, int sign, LedgerEffects effects) {
        state.setOpenReservations(state.getOpenReservations() + sign);
        if (state.getOpenReservations() == 0) {
            state.setNextExpiry(null);
        }
        state.getBudgets().forEach((id, s) -> {
            if (applies(s.getDefinition(), r.getProvider(), r.getModel(), r.getCapsuleId())) {
                s.setOpenReservations(s.getOpenReservations() + sign);
                s.setReservedTokens(s.getReservedTokens() + sign * r.getTokens());
                // a running sum of doubles drifts: with nothing open, nothing is reserved, exactly
                s.setReservedUsd(s.getOpenReservations() == 0 ? 0 : s.getReservedUsd() + sign * r.getUsd());
                effects.changed(id);
            }
        });
    }

    /** Sets the counts, the totals and the next expiry to those of {@code open}, all the tenant's open reservations. */
    private void recount(Collection<BudgetReservation> open) {
        state.setOpenReservations(0);
        state.setNextExpiry(null);
        state.getBudgets().values().forEach(s -> {
            s.setOpenReservations(0);
            s.setReservedTokens(0);
            s.setReservedUsd(0);
        });
        // the amounts are the same as before, only summed again: no status changes
        LedgerEffects unchanged = new LedgerEffects();
        for (BudgetReservation r : open) {
            hold(r, 1, unchanged);
            state.setNextExpiry(earlier(state.getNextExpiry(), r.getExpiresAt()));
        }
    }

    /** Moves the reservations of a ledger written before they were kept apart to where they are kept now. */
    private void moveReservationsOut() {
        state.getReservations().forEach(reservations::put);
        state.setReservations(new HashMap<>());
        recount(reservations.all().values());
        changedQuietly = true;
    }

    /**
     * A budget narrowed to a provider, model or capsule counts only what names the same one: a provider or model in
     * any case, and a model also by a dated id of it ({@code gpt-4o-2024-08-06} is {@code gpt-4o}, as it is priced),
     * which would otherwise pass a model's hard budget unchecked.
     */
    public static boolean applies(BudgetDefinition d, String provider, String model, String capsuleId) {
        return (d.getProvider() == null || d.getProvider().equalsIgnoreCase(provider))
                && (d.getModel() == null || model != null && (d.getModel().equalsIgnoreCase(model)
                        || d.getModel().equalsIgnoreCase(PriceTable.undated(model))))
                && (d.getCapsuleId() == null || d.getCapsuleId().equals(capsuleId));
    }

    /** What {@code usage} costs at {@code price}; an unpriced model adds nothing: its cost is unknown, not invented. */
    private static double cost(Optional<PriceTable.Price> price, Usage usage) {
        return price.map(p -> p.cost(usage.promptTokens(), usage.completionTokens())).orElse(0.0);
    }

    private Optional<PriceTable.Price> price(String provider, String model) {
        return provider == null ? Optional.empty() : settings.prices().priceOf(provider, model);
    }

    private static boolean samePeriodAndScope(BudgetDefinition a, BudgetDefinition b) {
        return a.getPeriod() == b.getPeriod() && sameZone(a, b)
                && Objects.equals(a.getRollingSeconds(), b.getRollingSeconds())
                && Objects.equals(a.getProvider(), b.getProvider()) && Objects.equals(a.getModel(), b.getModel())
                && Objects.equals(a.getCapsuleId(), b.getCapsuleId());
    }

    /**
     * Whether two definitions' periods follow the same clock: a rolling period follows none, and a zone counts by its
     * rules, not its name (none, "UTC", "Z" and "Etc/UTC" are one; so are "US/Eastern" and "America/New_York"), so a
     * re-PUT that names it otherwise keeps the spend.
     */
    private static boolean sameZone(BudgetDefinition a, BudgetDefinition b) {
        return a.getPeriod() == BudgetPeriodKind.ROLLING
                || BudgetPeriods.zone(a).getRules().equals(BudgetPeriods.zone(b).getRules());
    }

    private BudgetReservationReply granted(BudgetReservationRequest request, BudgetReservation r, Instant now) {
        return BudgetReservationReply.newBuilder().setRequestId(request.getRequestId()).setTenant(state.getTenant())
                .setGranted(true).setReservedTokens(r.getTokens()).setReservedUsd(r.getUsd())
                .setExpiresAt(r.getExpiresAt()).setDecidedAt(now).build();
    }

    private BudgetReservationReply refused(BudgetReservationRequest request, BudgetRefusal refusal, Instant now) {
        return BudgetReservationReply.newBuilder().setRequestId(request.getRequestId()).setTenant(state.getTenant())
                .setGranted(false).setReservedTokens(0).setReservedUsd(0).setRefusal(refusal).setDecidedAt(now)
                .build();
    }

    private BudgetAudit.Builder audit(String budgetId, String action, String requestId, Instant now) {
        return BudgetAudit.newBuilder().setEventId(UUID.randomUUID().toString()).setTenant(state.getTenant())
                .setBudgetId(budgetId).setAction(action).setRequestId(requestId).setTimestamp(now);
    }

    private static String describe(BudgetDefinition d) {
        return String.format(Locale.ROOT, "limit %s tokens / %s USD, %s%s, %s, thresholds %s%%",
                d.getLimitTokens(), d.getLimitUsd(), d.getPeriod(),
                d.getPeriod() == BudgetPeriodKind.ROLLING ? " " + d.getRollingSeconds() + " s"
                        : " in " + BudgetPeriods.zone(d),
                d.getHard() ? "hard" : "soft", d.getThresholdsPercent());
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.6f", v);
    }
}
