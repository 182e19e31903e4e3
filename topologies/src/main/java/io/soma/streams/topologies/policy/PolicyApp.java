package io.soma.streams.topologies.policy;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.ConstitutionAudit;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.RulePackReply;
import io.soma.streams.avro.RulePackRequest;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.schemas.Texts;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DeadLetterLimit;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import io.soma.streams.topologies.policy.constitution.VerificationResult;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.EvaluationLimits;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.kstream.Named;

import java.time.Instant;

/**
 * The governance app.
 * <ol>
 *   <li>{@code constitution.updated} → verified against the trusted keys and the active version of its scope;
 *   verified bundles go to {@code constitution.active}, rejected ones to {@code soma.dlq} with the reason, and
 *   every verdict to {@code constitution.audit} (the history that the compacted topics drop), in the same
 *   transaction.</li>
 *   <li>{@code policy.rulepack.requests} → the rule-pack sequencer, the one writer of versions: a request replacing
 *   the tenant's current version gets the next one and its pack goes to {@code policy.rulepacks}; any other gets
 *   {@code precondition_failed}. Every request is answered on {@code policy.rulepack.replies}.</li>
 *   <li>{@code constitution.active}, {@code policy.rulepacks}, {@code training.state} and {@code marketplace.catalog}
 *   are global stores: every instance evaluates with the same rules and the same capsule standings. The
 *   constitution and rule-pack stores are written through {@link PolicyStoreWrites}, so the policies compiled from
 *   them are kept until they change instead of being read and decoded for every event.</li>
 *   <li>{@code conversation.events} → one {@link PolicyDecision} per event on {@code policy.decisions}
 *   (exactly-once v2); an event naming a capsule the catalog does not hold as approved is denied
 *   ({@code capsule_not_approved}); policy-allowed events of tenants in training mode also go to
 *   {@code training.capture}.</li>
 * </ol>
 */
public final class PolicyApp {
    public static final String APPLICATION_ID = "soma-policy";
    /** Global stores: the same on every instance, so the edge evaluates locally against them. */
    public static final String ACTIVE_CONSTITUTIONS = "policy-active-constitutions";
    public static final String RULE_PACKS = "policy-rulepacks";
    public static final String TRAINING_STATES = "policy-training-states";
    public static final String CAPSULE_CATALOG = "policy-capsule-catalog";
    private static final String VERIFIED_BY_SCOPE = "policy-verified-constitutions";
    private static final String RULE_PACK_VERSIONS = "policy-rulepack-versions";
    /** The longest refusal message a constitution audit keeps, in characters (it may quote the bundle's fields). */
    static final int MAX_MESSAGE_CHARS = 2_000;
    public static final String ACCEPTED = "accepted";
    public static final String PRECONDITION_FAILED = "precondition_failed";
    /** The outcomes of {@code constitution.audit}. */
    public static final String ACTIVATED = "activated";
    public static final String REFUSED = "refused";

    /**
     * @param verifier    the one the edge's {@code POST /v1/constitution} uses too, so both refuse alike
     * @param limits      what evaluating one event may cost; the edge's {@code /v1/evaluate} must use the same
     * @param storeWrites the app's writes to its constitution and rule-pack stores go through it; the edge's
     *                    {@link TenantPolicies} over the same app must be given it too
     */
    public record Config(ConstitutionVerifier verifier, PolicyMetrics metrics, EvaluationLimits limits,
                         PolicyStoreWrites storeWrites) {
        public Config(ConstitutionVerifier verifier, PolicyMetrics metrics, EvaluationLimits limits) {
            this(verifier, metrics, limits, new PolicyStoreWrites());
        }

        public Config(ConstitutionVerifier verifier, PolicyMetrics metrics) {
            this(verifier, metrics, EvaluationLimits.DEFAULT);
        }
    }

    private PolicyApp() {
    }

    public static Topology build(Config config, AppSerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(VERIFIED_BY_SCOPE),
                Serdes.String(), serdes.storeValue(ConstitutionBundle.class)));
        var verified = builder.stream(Topics.CONSTITUTION_UPDATED.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .process(() -> new ConstitutionGate(config, serdes), Named.as("constitution-gate"), VERIFIED_BY_SCOPE);
        verified.filter((scope, outcome) -> outcome.bundle() != null)
                .mapValues(GateOutcome::bundle)
                .to(Topics.CONSTITUTION_ACTIVE.name(), Produced.with(Serdes.String(), serdes.value(Topics.CONSTITUTION_ACTIVE)));
        verified.filter((scope, outcome) -> outcome.bundle() == null)
                .mapValues(GateOutcome::raw)
                .to(Topics.DEAD_LETTER, Produced.with(Serdes.String(), Serdes.ByteArray()));
        verified.map((key, outcome) -> KeyValue.pair(outcome.audit().getScope(), outcome.audit()))
                .to(Topics.CONSTITUTION_AUDIT.name(), Produced.with(Serdes.String(), serdes.value(Topics.CONSTITUTION_AUDIT)));

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RULE_PACK_VERSIONS),
                Serdes.String(), Serdes.Long()));
        var sequenced = builder.stream(Topics.POLICY_RULEPACK_REQUESTS.name(),
                        Consumed.with(Serdes.String(), serdes.value(Topics.POLICY_RULEPACK_REQUESTS)))
                .process(RulePackSequencer::new, Named.as("rulepack-sequencer"), RULE_PACK_VERSIONS);
        sequenced.filter((tenant, outcome) -> outcome.pack() != null)
                .mapValues(Sequenced::pack)
                .to(Topics.POLICY_RULEPACKS.name(), Produced.with(Serdes.String(), serdes.value(Topics.POLICY_RULEPACKS)));
        sequenced.mapValues(Sequenced::reply)
                .to(Topics.POLICY_RULEPACK_REPLIES.name(),
                        Produced.with(Serdes.String(), serdes.value(Topics.POLICY_RULEPACK_REPLIES)));

        addWatchedGlobalStore(builder, Topics.CONSTITUTION_ACTIVE, ACTIVE_CONSTITUTIONS, serdes, config.storeWrites());
        addWatchedGlobalStore(builder, Topics.POLICY_RULEPACKS, RULE_PACKS, serdes, config.storeWrites());
        builder.globalTable(Topics.TRAINING_STATE.name(),
                Consumed.with(Serdes.String(), serdes.value(Topics.TRAINING_STATE)),
                Materialized.<String, TrainingModeState, KeyValueStore<Bytes, byte[]>>as(TRAINING_STATES));
        builder.globalTable(Topics.MARKETPLACE_CATALOG.name(),
                Consumed.with(Serdes.String(), serdes.value(Topics.MARKETPLACE_CATALOG)),
                Materialized.<String, CapsuleCatalogEntry, KeyValueStore<Bytes, byte[]>>as(CAPSULE_CATALOG));

        var evaluated = builder.stream(Topics.CONVERSATION_EVENTS.name(),
                        Consumed.with(Serdes.String(), serdes.value(Topics.CONVERSATION_EVENTS)))
                .processValues(() -> new Evaluator(config), Named.as("evaluate"));
        evaluated.mapValues(Evaluated::decision)
                .to(Topics.POLICY_DECISIONS.name(), Produced.with(Serdes.String(), serdes.value(Topics.POLICY_DECISIONS)));
        evaluated.filter((session, e) -> e.captured() != null)
                .mapValues(Evaluated::captured)
                .to(Topics.TRAINING_CAPTURE.name(), Produced.with(Serdes.String(), serdes.value(Topics.TRAINING_CAPTURE)));
        return builder.build();
    }

    /**
     * A global store of the topic as {@code globalTable} keeps one (timestamped, a tombstone deletes), whose every
     * write goes through {@code writes}, so the compiled policies kept over it are dropped when it changes.
     */
    private static <V extends SpecificRecord> void addWatchedGlobalStore(StreamsBuilder builder, Topics.Topic<V> topic,
                                                                         String storeName, AppSerdes serdes,
                                                                         PolicyStoreWrites writes) {
        builder.addGlobalStore(Stores.timestampedKeyValueStoreBuilder(Stores.persistentTimestampedKeyValueStore(storeName),
                                Serdes.String(), serdes.value(topic)).withLoggingDisabled(),
                topic.name(), Consumed.with(Serdes.String(), serdes.value(topic)),
                () -> new WatchedStoreWriter<V>(storeName, writes));
    }

    static final class WatchedStoreWriter<V> implements Processor<String, V, Void, Void> {
        private final String storeName;
        private final PolicyStoreWrites writes;
        private TimestampedKeyValueStore<String, V> store;

        WatchedStoreWriter(String storeName, PolicyStoreWrites writes) {
            this.storeName = storeName;
            this.writes = writes;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.store = context.getStateStore(storeName);
        }

        @Override
        public void process(Record<String, V> record) {
            if (record.key() == null) {
                return; // as a global table: a record without a key cannot be stored
            }
            writes.write(() -> {
                if (record.value() == null) {
                    store.delete(record.key());
                } else {
                    store.put(record.key(), ValueAndTimestamp.make(record.value(), record.timestamp()));
                }
            });
        }
    }

    /** A verified bundle, or the raw bytes of a refused one (with the reason in its headers); either way its audit. */
    record GateOutcome(ConstitutionBundle bundle, byte[] raw, ConstitutionAudit audit) {
    }

    /** A decision, and the event as {@code training.capture} keeps it (null when it is not captured). */
    record Evaluated(PolicyDecision decision, ConversationEvent captured) {
    }

    /** The reply to a pack request, and the pack with its assigned version when accepted. */
    record Sequenced(io.soma.streams.avro.RulePack pack, RulePackReply reply) {
    }

    /**
     * The single point where pack versions are assigned: requests are keyed by tenant, so one task sees all of a
     * tenant's requests in order, and exactly-once makes its store, the pack and the reply commit together. Two
     * requests replacing the same version therefore cannot both win.
     */
    static final class RulePackSequencer implements Processor<String, RulePackRequest, String, Sequenced> {
        private ProcessorContext<String, Sequenced> context;
        private KeyValueStore<String, Long> versions;
        private TimestampedKeyValueStore<String, io.soma.streams.avro.RulePack> published;

        @Override
        public void init(ProcessorContext<String, Sequenced> context) {
            this.context = context;
            this.versions = context.getStateStore(RULE_PACK_VERSIONS);
            this.published = context.getStateStore(RULE_PACKS);
        }

        @Override
        public void process(Record<String, RulePackRequest> record) {
            RulePackRequest request = record.value();
            String tenant = request.getPack().getTenant();
            if (!tenant.equals(record.key())) {
                // a tenant's versions are numbered in the task of its key's partition: keyed otherwise (written to
                // the topic directly), two requests could both be given the next version. Thrown: dead-lettered
                throw new IllegalArgumentException("rule-pack request " + Texts.cut(request.getRequestId(), 200)
                        + " is keyed '" + Texts.cut(String.valueOf(record.key()), 200) + "', but its pack is for tenant '"
                        + Texts.cut(tenant, 200) + "': publish it under its tenant");
            }
            long current = currentVersion(tenant);
            RulePackReply.Builder reply = RulePackReply.newBuilder().setRequestId(request.getRequestId()).setTenant(tenant);
            io.soma.streams.avro.RulePack pack = null;
            if (request.getExpectedVersion() == current) {
                long next = current + 1;
                versions.put(tenant, next);
                pack = io.soma.streams.avro.RulePack.newBuilder(request.getPack()).setVersion(next).build();
                reply.setOutcome(ACCEPTED).setVersion(next);
            } else {
                reply.setOutcome(PRECONDITION_FAILED).setVersion(current);
            }
            context.forward(new Record<>(tenant, new Sequenced(pack, reply.build()), record.timestamp()));
        }

        /** The higher of what this store assigned and what the topic holds (packs written there directly, by the demo). */
        private long currentVersion(String tenant) {
            Long assigned = versions.get(tenant);
            ValueAndTimestamp<io.soma.streams.avro.RulePack> onTopic = published.get(tenant);
            return Math.max(assigned == null ? 0 : assigned, onTopic == null ? 0 : onTopic.value().getVersion());
        }
    }

    /** Verifies bundles one scope at a time (the key orders them): the active version only ever moves forward. */
    static final class ConstitutionGate implements Processor<String, byte[], String, GateOutcome> {
        private final ConstitutionVerifier verifier;
        private final PolicyMetrics metrics;
        private final org.apache.kafka.common.serialization.Deserializer<ConstitutionBundle> reader;
        private ProcessorContext<String, GateOutcome> context;
        private KeyValueStore<String, ConstitutionBundle> verified;

        ConstitutionGate(Config config, AppSerdes serdes) {
            this.verifier = config.verifier();
            this.metrics = config.metrics();
            this.reader = serdes.value(Topics.CONSTITUTION_UPDATED).deserializer();
        }

        @Override
        public void init(ProcessorContext<String, GateOutcome> context) {
            this.context = context;
            this.verified = context.getStateStore(VERIFIED_BY_SCOPE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            ConstitutionBundle bundle;
            try {
                bundle = reader.deserialize(Topics.CONSTITUTION_UPDATED.name(), record.headers(), record.value());
            } catch (RuntimeException e) {
                if (SchemaRegistryException.unavailableIn(e)) {
                    // not the bundle's fault: the task fails and reads it again, instead of refusing it for good
                    throw e;
                }
                // filed under the scope the edge publishes it under, its key
                refuse(record, keyedScope(record), null, "malformed",
                        "not a readable ConstitutionBundle: " + e.getMessage());
                return;
            }
            if (bundle == null) {
                refuse(record, keyedScope(record), null, "malformed",
                        "a tombstone: a scope's constitution is replaced by a newer bundle, never deleted");
                return;
            }
            SignedBundle claimed = PolicyAvro.bundle(bundle);
            String scope = claimed.tenant() == null ? Constitution.GLOBAL_SCOPE : claimed.tenant();
            if (!scope.equals(record.key())) {
                // a scope's bundles are checked against its active version in the task of its key's partition:
                // keyed otherwise, an older bundle would meet no active version there and be activated again
                refuse(record, scope, bundle, "malformed", "keyed '" + Texts.cut(String.valueOf(record.key()), 200)
                        + "', but the bundle is for scope '" + scope + "': publish it under its scope");
                return;
            }
            ConstitutionBundle activeBundle = verified.get(scope);
            Constitution active = activeBundle == null ? null : activeConstitution(activeBundle);
            VerificationResult result = verifier.verify(claimed, active);
            if (result instanceof VerificationResult.Rejection rejection) {
                refuse(record, scope, bundle, rejection.reason().wire(), rejection.message());
                return;
            }
            // the hash as the gate computed it: one claimed in capitals verifies alike, but the scope's hash must read
            // the same on constitution.active, in Redis, in the audit and in every decision
            ConstitutionBundle activated = ConstitutionBundle.newBuilder(bundle)
                    .setHash(((VerificationResult.Verified) result).constitution().hash()).build();
            verified.put(scope, activated);
            // the published record's own timestamp, not the wall clock: a rebuild from the topics (the replay drill)
            // must give the same constitution.active; constitution_sync_timestamp_seconds reads it. The audit says
            // when the gate decided.
            context.forward(new Record<>(scope, new GateOutcome(activated, null,
                    audit(record, scope, activated).setOutcome(ACTIVATED).build()),
                    record.timestamp()));
        }

        /**
         * The audit of the bundle {@code record}, made now. Its id is the record's offset and timestamp: a replay of
         * the record repeats it, and the same offset on a topic created again (offsets restart at 0) names another
         * record, whose audit the archive, which keeps one row per id, would otherwise drop.
         */
        private ConstitutionAudit.Builder audit(Record<String, byte[]> record, String scope,
                                                ConstitutionBundle bundleOrNull) {
            var meta = context.recordMetadata().orElseThrow();
            // cut: a bundle written to the topic directly may carry a field near the record limit, and an audit
            // over the audit topic's limit would fail the transaction on every retry, for every scope of the partition
            ConstitutionAudit.Builder audit = ConstitutionAudit.newBuilder()
                    .setEventId(meta.topic() + "/" + meta.partition() + "/" + meta.offset() + "@" + record.timestamp())
                    .setScope(Texts.cut(scope, EventNames.MAX_CHARS))
                    .setTimestamp(Instant.ofEpochMilli(context.currentSystemTimeMs()));
            if (bundleOrNull != null) {
                audit.setVersion(Texts.cut(bundleOrNull.getVersion(), EventNames.MAX_CHARS))
                        .setHash(Texts.cut(bundleOrNull.getHash(), EventNames.MAX_CHARS))
                        .setIssuedAt(bundleOrNull.getIssuedAt())
                        .setKeyId(bundleOrNull.getSignature() == null ? null
                                : Texts.cut(bundleOrNull.getSignature().getKeyId(), EventNames.MAX_CHARS));
            }
            return audit;
        }

        private Constitution activeConstitution(ConstitutionBundle bundle) {
            VerificationResult again = verifier.verify(PolicyAvro.bundle(bundle), null);
            // a key the operator stopped trusting: nothing is active for this scope any more
            return again instanceof VerificationResult.Verified v ? v.constitution() : null;
        }

        /** The scope a record that holds no bundle is filed under: its key, as the edge publishes. */
        private static String keyedScope(Record<String, byte[]> record) {
            return record.key() == null ? Constitution.GLOBAL_SCOPE : record.key();
        }

        /** @param bundleOrNull null when unreadable */
        private void refuse(Record<String, byte[]> record, String scope, ConstitutionBundle bundleOrNull,
                            String reason, String message) {
            metrics.rejected(reason);
            var meta = context.recordMetadata().orElseThrow();
            DlqHeaders.addTo(record.headers(), reason + ": " + message, null, meta.topic(), meta.partition(),
                    meta.offset(), APPLICATION_ID);
            ConstitutionAudit audit = audit(record, scope, bundleOrNull).setOutcome(REFUSED)
                    .setReason(reason).setMessage(Texts.cut(message, MAX_MESSAGE_CHARS)).build();
            Record<String, byte[]> deadLetter = DeadLetterLimit.fitted(record);
            context.forward(new Record<>(deadLetter.key(), new GateOutcome(null, deadLetter.value(), audit),
                    deadLetter.timestamp(), deadLetter.headers()));
        }
    }

    /** One decision per event, against the tenant's pack, the active constitution and its capsule's standing. */
    static final class Evaluator implements FixedKeyProcessor<String, ConversationEvent, Evaluated> {
        private final Config config;
        private TenantPolicies policies;
        private FixedKeyProcessorContext<String, Evaluated> context;
        private TimestampedKeyValueStore<String, TrainingModeState> training;

        Evaluator(Config config) {
            this.config = config;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Evaluated> context) {
            this.context = context;
            this.training = context.getStateStore(TRAINING_STATES);
            TimestampedKeyValueStore<String, ConstitutionBundle> constitutions = context.getStateStore(ACTIVE_CONSTITUTIONS);
            TimestampedKeyValueStore<String, io.soma.streams.avro.RulePack> packs = context.getStateStore(RULE_PACKS);
            TimestampedKeyValueStore<String, CapsuleCatalogEntry> catalog = context.getStateStore(CAPSULE_CATALOG);
            this.policies = new TenantPolicies(config.verifier(), config.limits(),
                    scope -> ValueAndTimestamp.getValueOrNull(constitutions.get(scope)),
                    tenant -> ValueAndTimestamp.getValueOrNull(packs.get(tenant)),
                    capsuleId -> ValueAndTimestamp.getValueOrNull(catalog.get(capsuleId)), config.storeWrites());
        }

        @Override
        public void process(FixedKeyRecord<String, ConversationEvent> record) {
            // refused (dead-lettered with the reason) as by the other apps: a name no edge publishes would label
            // the decisions metric and key the archive's rows
            ConversationEvent event = EventNames.require(record.value());
            long started = System.nanoTime();
            CompiledPolicy policy = policies.forTenant(event.getTenant());
            Evaluation evaluation = PolicyEvaluator.evaluate(new EvaluationInput(event.getContent(), event.getRole(),
                    event.getTool(), policies.capsule(event.getCapsuleId())), policy);
            long nanos = System.nanoTime() - started;
            // a decision over the record limit would stall the partition: it fails closed, or its event is
            // dead-lettered
            PolicyDecision decision = DecisionLimit.bounded(PolicyAvro.decision(event, policy, evaluation,
                            Instant.ofEpochMilli(context.currentSystemTimeMs()), nanos / 1_000),
                    record.key(), record.headers());
            config.metrics().decided(decision, nanos / 1e9);
            // captured only as decided: an event failed closed for its size is not allowed
            ConversationEvent captured = decision.getAllowed() && inTrainingMode(event.getTenant())
                    ? TrainingCapture.of(event, decision, record.key(), record.headers()) : null;
            context.forward(record.withValue(new Evaluated(decision, captured)));
        }

        private boolean inTrainingMode(String tenant) {
            ValueAndTimestamp<TrainingModeState> state = training.get(tenant);
            return state != null && state.value().getEnabled() && state.value().getLock() != null
                    && Instant.ofEpochMilli(context.currentSystemTimeMs()).isBefore(state.value().getLock().getExpiresAt());
        }
    }
}
