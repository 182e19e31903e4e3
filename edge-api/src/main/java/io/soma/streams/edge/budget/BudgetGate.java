package io.soma.streams.edge.budget;

import io.javalin.http.Context;
import io.soma.streams.avro.BudgetRefusal;
import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.BudgetReservationRequest;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Reserves a step's estimate in the budget app before the step is published
 * (docs/budgets.md#the-edge-routes-and-enforcement):
 * a request on {@code budget.reservations}, keyed by tenant, answered on {@code budget.replies}. The app decides
 * every reservation of a tenant in order on one partition, so concurrent steps on any number of instances cannot
 * together pass a hard limit. Refused: 429 with {@code Retry-After}. No answer in time, or Kafka refusing the request:
 * 503 if a hard {@code fail_closed} budget of the tenant would hold the step ({@link BudgetDefinitions}), else the
 * step goes through.
 */
public final class BudgetGate {
    private static final Logger log = LoggerFactory.getLogger(BudgetGate.class);

    private final Producer<String, SpecificRecord> producer;
    private final ReplyWaiter<BudgetReservationReply> replies;
    private final BudgetDefinitions definitions;
    private final Duration timeout;
    private final Duration reservationTtl;
    private final AtomicLong failedOpen = new AtomicLong();

    public BudgetGate(Producer<String, SpecificRecord> producer, ReplyWaiter<BudgetReservationReply> replies,
                      BudgetDefinitions definitions, Duration timeout, Duration reservationTtl) {
        this.producer = producer;
        this.replies = replies;
        this.definitions = definitions;
        this.timeout = timeout;
        this.reservationTtl = reservationTtl;
    }

    /** How long a granted reservation stays open unless its step's response settles it or it is released. */
    public Duration reservationTtl() {
        return reservationTtl;
    }

    /** The step's scope, as the budgets narrowed to a provider, model or capsule match it. */
    public record Step(String tenant, String provider, String model, String capsuleId, StepEstimate estimate) {
    }

    /**
     * Reserves {@code step}'s estimate under {@code reservationId} (the step's event id), or fails the request.
     *
     * @return true when the app holds a reservation the step's response must settle; false when the budget state
     * could not be reached and the tenant's budgets let the step through without one
     */
    public boolean reserve(Context ctx, String reservationId, Step step) {
        Optional<BudgetReservationReply> reply = ask(reservationId, step);
        if (reply.isEmpty() || reply.get().getGranted()) {
            return reply.isPresent();
        }
        throw refused(ctx, reply.get().getRefusal());
    }

    /**
     * The budget app's answer to reserving {@code step}'s estimate (the round trip a step waits for); empty when the
     * budget state could not be reached and the tenant's budgets let the step through, 503 when they fail closed.
     */
    public Optional<BudgetReservationReply> ask(String reservationId, Step step) {
        BudgetReservationRequest request = BudgetReservationRequest.newBuilder().setRequestId(reservationId)
                .setTenant(step.tenant()).setProvider(step.provider()).setModel(step.model())
                .setCapsuleId(step.capsuleId()).setPromptTokens(step.estimate().promptTokens())
                .setMaxCompletionTokens(step.estimate().maxCompletionTokens()).setRequestedAt(Instant.now()).build();
        Map<String, Object> ids = Map.of("budget_reservation_id", reservationId);
        try {
            return Optional.of(replies.request(producer, new ProducerRecord<>(Topics.BUDGET_RESERVATIONS.name(),
                    step.tenant(), request), reservationId, ids, timeout,
                    () -> ApiException.notReady("no answer from the budget app within " + timeout.toMillis() + " ms")));
        } catch (ApiException unreachable) {
            // the request may still reach the app and be granted after this step stopped waiting for it
            release(reservationId, step.tenant());
            unreachable(step, unreachable.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Frees the reservation {@code reservationId} at once rather than at its expiry: its step will not use it (not
     * published, not allowed, or not waited for). Not waited for: it follows the request on the tenant's partition,
     * and if it is lost the reservation still expires.
     */
    public void release(String reservationId, String tenant) {
        BudgetReservationRequest release = BudgetReservationRequest.newBuilder().setRequestId(reservationId)
                .setTenant(tenant).setPromptTokens(0).setRequestedAt(Instant.now()).setRelease(true).build();
        Consumer<Exception> notSent = e -> log.warn(
                "release of budget reservation {} not sent ({}); it expires instead", reservationId, e.toString());
        try {
            producer.send(new ProducerRecord<>(Topics.BUDGET_RESERVATIONS.name(), tenant, release), (meta, error) -> {
                if (error != null) {
                    notSent.accept(error);
                }
            });
        } catch (RuntimeException e) {
            notSent.accept(e);
        }
    }

    /** Steps let through without a reservation because the budget state could not be reached. */
    public long failedOpen() {
        return failedOpen.get();
    }

    private void unreachable(Step step, String reason) {
        String tenant = step.tenant();
        if (!definitions.caughtUp()) {
            // an empty list could be a fail-closed budget not read yet: failing open on it would let the step through
            throw new ApiException(503, "budget_unavailable", "the budget state of tenant " + tenant + " cannot be "
                    + "reached, and this instance has not yet read every budget definition to tell whether a hard one "
                    + "fails closed: " + reason, Map.of("reason", reason));
        }
        List<String> closed = definitions.failingClosed(step);
        if (!closed.isEmpty()) {
            throw new ApiException(503, "budget_unavailable", "the budget state of tenant " + tenant
                    + " cannot be reached and its hard budgets " + closed + " fail closed: " + reason,
                    Map.of("budgets", closed, "reason", reason));
        }
        failedOpen.incrementAndGet();
        log.warn("budget state of tenant {} unreachable ({}); no hard fail-closed budget: step let through", tenant,
                reason);
    }

    private static ApiException refused(Context ctx, BudgetRefusal refusal) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("budget_id", refusal.getBudgetId());
        details.put("kind", refusal.getKind());
        details.put("unit", refusal.getUnit());
        details.put("limit", refusal.getLimit());
        details.put("spent", refusal.getSpent());
        details.put("reserved", refusal.getReserved());
        details.put("requested", refusal.getRequested());
        details.put("period_end", refusal.getPeriodEnd() == null ? null : refusal.getPeriodEnd().toString());
        details.put("retry_after_seconds", refusal.getRetryAfterSeconds());
        if (!"exceeded".equals(refusal.getKind())) {
            // unpriced (a USD limit and a model without a price) or invalid: waiting would not help
            return ApiException.unprocessable(refusal.getMessage(), details);
        }
        ctx.header("Retry-After", Long.toString(refusal.getRetryAfterSeconds()));
        return new ApiException(429, "budget_exceeded", refusal.getMessage(), details);
    }
}
