package io.soma.streams.topologies.training;

import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingAuditDetails;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.PunctuationInterval;
import io.soma.streams.topologies.runtime.EventNames;
import io.soma.streams.topologies.runtime.Settings;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

/**
 * The training-mode app: {@code training.commands} → one tenant's lock at a time (the partition orders a
 * tenant's commands, which makes enable an atomic test-and-set) → {@code training.state} and exactly one
 * {@code training.audit} per command. A wall-clock punctuator expires locks, with an audit record too.
 */
public final class TrainingApp {
    public static final String APPLICATION_ID = "soma-training";
    public static final String LOCK_STORE = "training-locks";
    private static final String SOURCE = "commands";
    private static final String PROCESSOR = "lock-state-machine";
    private static final String AUDIT_SINK = "audit-sink";
    private static final String STATE_SINK = "state-sink";

    public record Config(Duration defaultTtl, Duration maxTtl, Duration expiryCheckInterval) {
        /** Checked where the settings are read: the processor's own checks would fail every task made for it. */
        public Config {
            TrainingRules.checkTtls(defaultTtl, maxTtl);
            PunctuationInterval.checked("training.expiry.check", expiryCheckInterval);
        }

        public static Config defaults() {
            return new Config(Duration.ofHours(24), Duration.ofDays(7), Duration.ofSeconds(1));
        }

        /** From {@code training.ttl.default}, {@code training.ttl.max} and {@code training.expiry.check}. */
        public static Config from(Settings settings) {
            return new Config(settings.duration("training.ttl.default"), settings.duration("training.ttl.max"),
                    settings.duration("training.expiry.check"));
        }
    }

    private TrainingApp() {
    }

    public static Topology build(Config config, AppSerdes serdes) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(),
                serdes.value(Topics.TRAINING_COMMANDS).deserializer(), Topics.TRAINING_COMMANDS.name());
        topology.addProcessor(PROCESSOR, () -> new LockProcessor(config), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LOCK_STORE),
                Serdes.String(), serdes.storeValue(TrainingModeState.class)), PROCESSOR);
        topology.addSink(AUDIT_SINK, Topics.TRAINING_AUDIT.name(), Serdes.String().serializer(),
                serdes.value(Topics.TRAINING_AUDIT).serializer(), PROCESSOR);
        topology.addSink(STATE_SINK, Topics.TRAINING_STATE.name(), Serdes.String().serializer(),
                serdes.value(Topics.TRAINING_STATE).serializer(), PROCESSOR);
        return topology;
    }

    /** Applies commands and expiries; the store holds only tenants whose lock is held. */
    static final class LockProcessor implements Processor<String, TrainingCommand, String, Object> {
        private final TrainingRules rules;
        private final Duration expiryCheckInterval;
        private ProcessorContext<String, Object> context;
        private KeyValueStore<String, TrainingModeState> locks;

        LockProcessor(Config config) {
            this.rules = new TrainingRules(config.defaultTtl(), config.maxTtl());
            this.expiryCheckInterval = config.expiryCheckInterval();
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.locks = context.getStateStore(LOCK_STORE);
            context.schedule(expiryCheckInterval, PunctuationType.WALL_CLOCK_TIME, this::expire);
        }

        @Override
        public void process(Record<String, TrainingCommand> record) {
            TrainingCommand command = record.value();
            String tenant = command.getTenant();
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            TrainingRules.Outcome outcome;
            if (!tenant.equals(record.key())) {
                // keyed otherwise (written to the topic directly), the lock would live in another task than the one
                // its status, disable and expiry go to: the tenant would read as enabled and could not be released
                outcome = TrainingRules.Outcome.rejected(null, TrainingRules.Outcome.Status.INVALID, "record key '"
                        + TrainingRules.shown(record.key(), EventNames.MAX_CHARS) + "' is not the tenant");
            } else {
                TrainingModeState before = locks.get(tenant);
                TrainingLock current = before == null ? null : TrainingLocks.fromAvro(before.getLock(), tenant);
                if (current != null && current.expiredAt(now)) {
                    // expire first, so the audit trail shows the lapse before whatever this command does
                    emitExpiry(tenant, current, now);
                    current = null;
                }
                outcome = command.getAction() == io.soma.streams.avro.TrainingAction.UNKNOWN
                        ? TrainingRules.Outcome.rejected(current, TrainingRules.Outcome.Status.INVALID,
                                "unknown action")
                        : rules.apply(current, toRequest(command), now);
            }
            String auditId = UUID.randomUUID().toString();
            TrainingAudit audit = TrainingAudit.newBuilder()
                    .setEventId(auditId)
                    .setCommandId(command.getCommandId())
                    .setTenant(tenant)
                    .setAction(outcome.auditAction())
                    // cut: a command refused for its length is audited without what made it too long
                    .setUser(TrainingRules.shown(command.getUser(), TrainingRules.MAX_USER_CHARS))
                    .setUserTenant(TrainingRules.shown(userTenant(command), EventNames.MAX_CHARS))
                    .setCaller(TrainingRules.shown(command.getCaller(), TrainingRules.MAX_USER_CHARS))
                    .setCallerTenant(TrainingRules.shown(command.getCallerTenant(), EventNames.MAX_CHARS))
                    .setTimestamp(now)
                    .setDetails(TrainingAuditDetails.newBuilder()
                            .setReason(TrainingRules.shown(command.getReason(), TrainingRules.MAX_REASON_CHARS))
                            .setPreviousLock(TrainingLocks.toAvro(outcome.previousLock()))
                            .setRejection(outcome.rejection())
                            .setRejectionKind(outcome.accepted() ? null
                                    : outcome.status().name().toLowerCase(java.util.Locale.ROOT))
                            .build())
                    .setCurrentLock(TrainingLocks.toAvro(outcome.lockAfter()))
                    .build();
            context.forward(record.withKey(tenant).withValue(audit).withTimestamp(now.toEpochMilli()), AUDIT_SINK);
            if (outcome.accepted()) {
                saveAndPublish(tenant, outcome.lockAfter(), now, auditId);
            }
        }

        private void expire(long wallClockMs) {
            Instant now = Instant.ofEpochMilli(wallClockMs);
            List<String> expired = new ArrayList<>();
            try (KeyValueIterator<String, TrainingModeState> all = locks.all()) {
                all.forEachRemaining(kv -> {
                    if (kv.value.getLock() != null && !now.isBefore(kv.value.getLock().getExpiresAt())) {
                        expired.add(kv.key);
                    }
                });
            }
            for (String tenant : expired) {
                emitExpiry(tenant, TrainingLocks.fromAvro(locks.get(tenant).getLock(), tenant), now);
            }
        }

        private void emitExpiry(String tenant, TrainingLock lock, Instant now) {
            TrainingRules.Outcome outcome = rules.expire(lock);
            String auditId = UUID.randomUUID().toString();
            TrainingAudit audit = TrainingAudit.newBuilder()
                    .setEventId(auditId)
                    .setTenant(tenant)
                    .setAction(outcome.auditAction())
                    .setTimestamp(now)
                    .setDetails(TrainingAuditDetails.newBuilder()
                            .setReason("lock expired at " + lock.expiresAt())
                            .setPreviousLock(TrainingLocks.toAvro(lock))
                            .build())
                    .build();
            context.forward(new Record<>(tenant, (Object) audit, now.toEpochMilli()), AUDIT_SINK);
            saveAndPublish(tenant, null, now, auditId);
        }

        private void saveAndPublish(String tenant, TrainingLock lock, Instant now, String auditId) {
            TrainingModeState state = TrainingModeState.newBuilder()
                    .setTenant(tenant)
                    .setEnabled(lock != null)
                    .setLock(TrainingLocks.toAvro(lock))
                    .setUpdatedAt(now)
                    .setLastEventId(auditId)
                    .build();
            if (lock == null) {
                locks.delete(tenant);
            } else {
                locks.put(tenant, state);
            }
            context.forward(new Record<>(tenant, (Object) state, now.toEpochMilli()), STATE_SINK);
        }

        private static TrainingCommandRequest toRequest(TrainingCommand c) {
            return new TrainingCommandRequest(c.getCommandId(), c.getTenant(),
                    TrainingCommandRequest.Action.valueOf(c.getAction().name()),
                    new TrainingUser(userTenant(c), c.getUser()),
                    new HashSet<>(c.getCapabilities()), c.getReason(),
                    c.getTtlSeconds() == null ? null : Duration.ofSeconds(c.getTtlSeconds()));
        }

        /** The tenant of the user a command acts as; the command's own for an edge that did not say. */
        private static String userTenant(TrainingCommand c) {
            return c.getUserTenant() == null ? c.getTenant() : c.getUserTenant();
        }
    }
}
