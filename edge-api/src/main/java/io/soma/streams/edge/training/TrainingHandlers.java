package io.soma.streams.edge.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.soma.streams.avro.TrainingAction;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.avro.TrainingLock;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.TrainingLockHolder;
import io.soma.streams.topologies.training.TrainingApp;
import io.soma.streams.topologies.training.TrainingRules;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The training endpoints, a request/reply over Kafka: a command is published to {@code training.commands} and the
 * answer is the training app's audit record with the same command id. Bodies and answers keep the shapes existing
 * clients use: {@code {tenant, user, reason}} → {@code {tenant, enabled, locked_by, locked_by_tenant, locked_at, reason}}, 409 when
 * already enabled, 404 when not enabled (disable, extend).
 */
public final class TrainingHandlers {
    private final Producer<String, SpecificRecord> producer;
    private final ReplyWaiter<TrainingAudit> replies;
    private final StoreLookups stores;
    private final Duration timeout;
    private final Duration maxTtl;

    /** @param maxTtl the longest lock lifetime the training app grants ({@code training.ttl.max}) */
    public TrainingHandlers(Producer<String, SpecificRecord> producer, ReplyWaiter<TrainingAudit> replies,
                            StoreLookups stores, Duration timeout, Duration maxTtl) {
        this.producer = producer;
        this.replies = replies;
        this.stores = stores;
        this.timeout = timeout;
        this.maxTtl = maxTtl;
    }

    public void enable(Context ctx) {
        command(ctx, TrainingAction.ENABLE);
    }

    public void disable(Context ctx) {
        command(ctx, TrainingAction.DISABLE);
    }

    /** A held lock for {@code ttl_seconds} from now (the default when absent), keeping its holder and reason. */
    public void extend(Context ctx) {
        command(ctx, TrainingAction.EXTEND);
    }

    /** {@code GET /v1/training/status/{tenant}}: from the training app's store, wherever it lives. */
    public void status(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        JsonNode state;
        try {
            state = stores.require(TrainingApp.LOCK_STORE, tenant, tenant, "not enabled");
        } catch (ApiException e) {
            if (e.status() != 404) {
                throw e;
            }
            ctx.json(disabled(tenant));
            return;
        }
        ctx.json(state);
    }

    private void command(Context ctx, TrainingAction action) {
        Principal caller = AuthHandler.principal(ctx);
        JsonNode body = JsonBody.object(ctx);
        String tenant = TenantGuard.tenant(ctx);
        String user = JsonBody.withinLimit(JsonBody.text(body, "user"), "user", TrainingRules.MAX_USER_CHARS);
        if (user != null && !user.equals(caller.subject()) && !caller.has(Capability.TRAINING_ADMIN)) {
            throw new ApiException(403, "forbidden", "only training.admin may act as another user than "
                    + caller.subject(), Map.of());
        }
        // a disable takes no lifetime: whatever it says, it is not refused for it
        Long ttlSeconds = action == TrainingAction.DISABLE ? null : ttlSeconds(body);
        // a user is named within a tenant: the caller is a user of its token's tenant, another named user one of
        // the tenant acted on, so a platform operator's lock is never held by a tenant's user of the same name
        boolean asCaller = user == null || user.equals(caller.subject());
        TrainingCommand command = TrainingCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setTenant(tenant)
                .setAction(action)
                .setUser(asCaller ? caller.subject() : user)
                .setUserTenant(asCaller ? caller.tenant() : tenant)
                .setCaller(caller.subject())
                .setCallerTenant(caller.tenant())
                .setCapabilities(caller.capabilities().stream().map(Capability::claim).sorted().toList())
                .setReason(JsonBody.withinLimit(JsonBody.text(body, "reason"), "reason",
                        TrainingRules.MAX_REASON_CHARS))
                .setTtlSeconds(ttlSeconds)
                .setRequestedAt(Instant.now())
                .build();
        TrainingAudit audit = publishAndAwait(command);
        answer(ctx, audit);
    }

    /** The lifetime asked for, checked here to name the field; the training app checks it again. */
    private Long ttlSeconds(JsonNode body) {
        Long ttlSeconds = JsonBody.optionalLong(body, "ttl_seconds");
        if (ttlSeconds != null && (ttlSeconds <= 0 || ttlSeconds > maxTtl.toSeconds())) {
            throw ApiException.unprocessable("ttl_seconds must be between 1 and " + maxTtl.toSeconds() + " ("
                    + maxTtl + "), got " + ttlSeconds, Map.of("field", "ttl_seconds"));
        }
        return ttlSeconds;
    }

    private TrainingAudit publishAndAwait(TrainingCommand command) {
        // late: the command stays in Kafka and is applied exactly once; only this answer is missing
        Map<String, Object> ids = Map.of("command_id", command.getCommandId());
        return replies.request(producer, new ProducerRecord<>(Topics.TRAINING_COMMANDS.name(), command.getTenant(), command),
                command.getCommandId(), ids, timeout, () -> new ApiException(504, "timeout", "no answer to command "
                        + command.getCommandId() + " within " + timeout.toMillis()
                        + " ms; it will still be applied once: check the status", ids));
    }

    private static void answer(Context ctx, TrainingAudit audit) {
        if (audit.getDetails().getRejection() != null) {
            String kind = audit.getDetails().getRejectionKind();
            int status = switch (kind == null ? "" : kind) {
                case "conflict" -> 409;
                case "not_found" -> 404;
                case "forbidden" -> 403;
                default -> 422;
            };
            throw new ApiException(status, ErrorResponses.errorName(status), audit.getDetails().getRejection(),
                    Map.of("command_id", audit.getCommandId(), "tenant", audit.getTenant()));
        }
        ctx.json(view(audit.getTenant(), audit.getCurrentLock()));
    }

    /** The response shape existing clients read, plus {@code expires_at}. */
    public static Map<String, Object> view(String tenant, TrainingLock lock) {
        // a lock past its expiry is off even in the moment before the app's punctuator records it
        if (lock == null || !Instant.now().isBefore(lock.getExpiresAt())) {
            return disabled(tenant);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", tenant);
        out.put("enabled", true);
        out.put("locked_by", lock.getLockedBy());
        out.put("locked_by_tenant", TrainingLockHolder.tenantOf(lock, tenant));
        out.put("locked_at", lock.getLockedAt().toString());
        out.put("reason", lock.getReason());
        out.put("expires_at", lock.getExpiresAt().toString());
        return out;
    }

    private static Map<String, Object> disabled(String tenant) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", tenant);
        out.put("enabled", false);
        out.put("locked_by", null);
        out.put("locked_by_tenant", null);
        out.put("locked_at", null);
        out.put("reason", null);
        return out;
    }
}
