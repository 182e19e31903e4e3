package io.soma.streams.stores.archive;

import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The audit topics with their Avro records mapped to archive rows. */
public final class AvroAuditTopics {
    public static final String POLICY_DECISIONS = "policy.decisions";
    public static final String TRAINING_AUDIT = "training.audit";
    public static final String IDENTITY_AUDIT = "identity.audit";
    public static final String MARKETPLACE_AUDIT = "marketplace.audit";

    private AvroAuditTopics() {
    }

    /**
     * @param decisions, training, identity, marketplace the registry-aware Avro deserializers, already configured
     *                   (e.g. {@code new AvroDeserializer<>(PolicyDecision.class, registryClient)})
     */
    public static List<AuditTopic<?>> of(Deserializer<PolicyDecision> decisions, Deserializer<TrainingAudit> training,
                                         Deserializer<IdentityAudit> identity, Deserializer<MarketplaceAudit> marketplace) {
        return List.of(
                new AuditTopic<>(POLICY_DECISIONS, decisions, AvroAuditTopics::decisionRow, AvroAuditTopics::registryDown),
                new AuditTopic<>(TRAINING_AUDIT, training, AvroAuditTopics::trainingRow, AvroAuditTopics::registryDown),
                new AuditTopic<>(IDENTITY_AUDIT, identity, AvroAuditTopics::identityRow, AvroAuditTopics::registryDown),
                new AuditTopic<>(MARKETPLACE_AUDIT, marketplace, AvroAuditTopics::marketplaceRow,
                        AvroAuditTopics::registryDown));
    }

    /** A registry that does not answer is no reason to dead-letter a record: the archiver waits for it. */
    static boolean registryDown(RuntimeException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SchemaRegistryException registry && registry.isTransient()) {
                return true;
            }
        }
        return false;
    }

    static PolicyDecisionRow decisionRow(PolicyDecision d, KafkaSource source) {
        return new PolicyDecisionRow(d.getDecisionId(), d.getEventId(), d.getSessionId(), d.getTenant(), d.getUser(),
                d.getDecision(), d.getAllowed(), d.getScore(), d.getSeverity(), AvroJson.toJson(d.getViolations()),
                d.getConstitutionHash(), d.getConstitutionVersion(),
                d.getRulepackVersion() == null ? null : d.getRulepackVersion().toString(), d.getEvaluatedAt(), source);
    }

    /** details = the record's details plus the lock held afterwards, so the row tells the whole outcome. */
    static TrainingAuditRow trainingRow(TrainingAudit t, KafkaSource source) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", t.getDetails().getReason());
        details.put("previous_lock", t.getDetails().getPreviousLock());
        details.put("rejection", t.getDetails().getRejection());
        details.put("current_lock", t.getCurrentLock());
        return new TrainingAuditRow(t.getEventId(), t.getCommandId(), t.getTenant(), t.getAction(), t.getUser(),
                t.getTimestamp(), AvroJson.toJson(details), source);
    }

    /** details = the token's key, capabilities and expiry, with the record's free attributes under "attributes". */
    static IdentityAuditRow identityRow(IdentityAudit i, KafkaSource source) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("key_id", i.getKeyId());
        details.put("capabilities", i.getCapabilities());
        details.put("expires_at", i.getExpiresAt());
        details.put("attributes", i.getDetails());
        return new IdentityAuditRow(i.getEventId(), i.getAction(), i.getTenant(), i.getSubject(), i.getActor(),
                i.getJti(), i.getTimestamp(), AvroJson.toJson(details), source);
    }

    static MarketplaceAuditRow marketplaceRow(MarketplaceAudit m, KafkaSource source) {
        return new MarketplaceAuditRow(m.getEventId(), m.getRequestId(), m.getCapsuleId(), m.getAction(), m.getActor(),
                m.getActorTenant(), status(m.getFromStatus()), status(m.getToStatus()), m.getVersion(), m.getNotes(),
                m.getRejection(), m.getRejectionKind(), m.getTimestamp(), source);
    }

    private static String status(CapsuleStatus status) {
        return status == null ? null : status.name().toLowerCase(Locale.ROOT);
    }
}
