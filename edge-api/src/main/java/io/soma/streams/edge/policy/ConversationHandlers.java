package io.soma.streams.edge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.budget.BudgetGate;
import io.soma.streams.edge.budget.StepEstimate;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.kafka.KafkaPublish;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.sse.SseSource;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.budget.Usage;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code POST /v1/conversation/step}: publish an event and answer with its decision (a request/reply through
 * the policy app), and {@code GET /v1/conversation/stream}: a session's events and decisions as they happen.
 */
public final class ConversationHandlers {
    private final Producer<String, SpecificRecord> producer;
    private final ReplyWaiter<PolicyDecision> decisions;
    private final SseHub sessions;
    private final Optional<BudgetGate> budgets;
    private final Duration timeout;

    public ConversationHandlers(Producer<String, SpecificRecord> producer, ReplyWaiter<PolicyDecision> decisions,
                                SseHub sessions, Optional<BudgetGate> budgets, Duration timeout) {
        this.producer = producer;
        this.decisions = decisions;
        this.sessions = sessions;
        this.budgets = budgets;
        this.timeout = timeout;
    }

    public void step(Context ctx) {
        Principal caller = AuthHandler.principal(ctx);
        JsonNode body = JsonBody.object(ctx);
        // names the apps key, group or echo events by: bounded, or one event would make records over the limit (the
        // tenant by TenantGuard)
        String tenant = TenantGuard.tenant(ctx);
        String session = name(JsonBody.required(body, "session_id"), "session_id");
        String content = JsonBody.text(body, "content");
        content = content == null ? JsonBody.text(body, "prompt") : content;
        String role = EventRoles.of(body);
        String eventType = name(JsonBody.text(body, "event_type"), "event_type");
        String eventId = UUID.randomUUID().toString();
        String provider = name(JsonBody.text(body, "provider"), "provider");
        String model = name(JsonBody.text(body, "model"), "model");
        String capsuleId = name(JsonBody.text(body, "capsule_id"), "capsule_id");
        String user = name(JsonBody.text(body, "user"), "user");
        String tool = name(JsonBody.text(body, "tool"), "tool");
        Map<String, String> metadata = metadata(body);
        // only the edge names a step's reservation: a caller's own, carried to the response, would settle (free)
        // another step's reservation whenever this one is not reserved (failing open)
        metadata.remove(Usage.RESERVATION_ID_METADATA);
        boolean reserved = budgets.isPresent() && budgets.get().reserve(ctx, eventId,
                new BudgetGate.Step(tenant, provider, model, capsuleId, StepEstimate.of(body, content)));
        if (reserved) {
            // the response event settles it: it carries this id as its budget_reservation_id
            metadata.put(Usage.RESERVATION_ID_METADATA, eventId);
        }
        ConversationEvent event = ConversationEvent.newBuilder()
                .setEventId(eventId)
                .setSessionId(session)
                .setTenant(tenant)
                .setUser(user == null ? caller.subject() : user)
                .setRole(role)
                .setEventType(eventType == null ? "conversation.step" : eventType)
                .setTimestamp(Instant.now())
                .setContent(content)
                .setModel(model)
                .setProvider(provider)
                .setCapsuleId(capsuleId)
                .setTool(tool)
                .setMetadata(metadata)
                .build();
        Map<String, Object> ids = Map.of("event_id", event.getEventId(), "session_id", session);
        // a step the policy holds back gets no response to settle what it reserved, also when it is decided after
        // this request stopped waiting (504): followed as long as the reservation can be open
        ReplyWaiter.Late<PolicyDecision> heldBack = reserved ? new ReplyWaiter.Late<>(
                budgets.get().reservationTtl(), d -> {
                    if (!d.getAllowed()) {
                        budgets.get().release(eventId, tenant);
                    }
                }) : null;
        PolicyDecision decision;
        try {
            decision = decisions.request(producer,
                    new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), session, event), event.getEventId(), ids,
                    timeout, () -> new ApiException(504, "timeout", "no decision for event " + event.getEventId()
                            + " within " + timeout.toMillis() + " ms; the event is recorded and will be decided", ids),
                    heldBack);
        } catch (KafkaPublish.NotTaken notPublished) {
            // no response will settle the reservation of an event Kafka did not take (a 504's event was published);
            // one still being retried, or given up once in a batch (perhaps sent), may be delivered and answered:
            // released, its amount could be granted twice
            if (reserved && !notPublished.mayStillArrive()) {
                budgets.get().release(eventId, tenant);
            }
            throw notPublished;
        }
        if (heldBack != null) {
            heldBack.handler().accept(decision);
        }
        PolicyViews.headers(ctx, decision.getDecision(), decision.getScore(), decision.getConstitutionHash());
        ctx.json(PolicyViews.decision(decision));
    }

    /**
     * {@code GET /v1/conversation/stream?session_id=&tenant=}: the request is checked before the event stream
     * starts, because the stream's 200 and headers go out first and a later status would never reach the caller.
     * Session ids are scoped by tenant (the caller's own unless a platform operator names another): the stream shows
     * only that tenant's events and decisions of the session, live and resumed, so another tenant's session looks
     * exactly like one nobody has written yet.
     */
    public void openStream(Context ctx) throws Exception {
        // checked here as well: the capability must hold whether or not the route carries its role
        if (!AuthHandler.principal(ctx).has(Capability.CONVERSATION)) {
            throw new ApiException(403, "forbidden", "the session stream needs the capability conversation",
                    Map.of("required_capabilities", List.of(Capability.CONVERSATION.claim())));
        }
        String session = ctx.queryParam("session_id");
        if (session == null || session.isBlank()) {
            throw ApiException.badRequest("session_id is required");
        }
        sessions.open(ctx, session, TenantGuard.tenant(ctx), AuthHandler.streamCaller(ctx));
    }

    private static String name(String value, String field) {
        return JsonBody.withinLimit(value, field, EventNames.MAX_CHARS);
    }

    private static Map<String, String> metadata(JsonNode body) {
        JsonNode node = body.get("metadata");
        Map<String, String> out = new HashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("metadata must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
        }
        return out;
    }

    /** A session's events and decisions: both topics are keyed by session id. */
    public static SseSource sessionSource(Deserializer<ConversationEvent> events, Deserializer<PolicyDecision> decisions) {
        return new SseSource() {
            @Override
            public java.util.List<String> topics() {
                return java.util.List.of(Topics.CONVERSATION_EVENTS.name(), Topics.POLICY_DECISIONS.name());
            }

            @Override
            public String channelOf(ConsumerRecord<byte[], byte[]> record) {
                return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            }

            @Override
            public SseMessage render(ConsumerRecord<byte[], byte[]> record) {
                if (record.topic().equals(Topics.POLICY_DECISIONS.name())) {
                    PolicyDecision decision = decisions.deserialize(record.topic(), record.headers(), record.value());
                    return new SseMessage("decision", PolicyViews.decision(decision), decision.getTenant());
                }
                ConversationEvent event = events.deserialize(record.topic(), record.headers(), record.value());
                return new SseMessage("event", PolicyViews.event(event), event.getTenant());
            }
        };
    }
}
