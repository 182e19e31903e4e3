package io.soma.streams.stores.archive;

import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.ConstitutionAudit;
import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.avro.specific.SpecificRecord;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The audit topics with their Avro records mapped to archive rows. */
public final class AvroAuditTopics {
    private AvroAuditTopics() {
    }

    /**
     * Every archived topic, its records read with the registry's schemas. Archiving another audit topic adds it here,
     * with its row and migration, and nowhere else.
     */
    public static List<AuditTopic<?>> of(SchemaRegistryClient registry) {
        return List.of(
                topic(Topics.POLICY_DECISIONS, registry, AvroAuditTopics::decisionRow),
                topic(Topics.TRAINING_AUDIT, registry, AvroAuditTopics::trainingRow),
                topic(Topics.IDENTITY_AUDIT, registry, AvroAuditTopics::identityRow),
                topic(Topics.MARKETPLACE_AUDIT, registry, AvroAuditTopics::marketplaceRow),
                topic(Topics.BUDGET_AUDIT, registry, AvroAuditTopics::budgetRow),
                topic(Topics.CONSTITUTION_AUDIT, registry, AvroAuditTopics::constitutionRow));
    }

    private static <V extends SpecificRecord> AuditTopic<V> topic(Topics.Topic<V> topic, SchemaRegistryClient registry,
                                                                  AuditTopic.RowMapper<V> row) {
        return new AuditTopic<>(topic.name(), topic.valueSerde(registry).deserializer(), row,
                SchemaRegistryException::unavailableIn);
    }

    static PolicyDecisionRow decisionRow(PolicyDecision d, KafkaSource source) {
        return new PolicyDecisionRow(d.getDecisionId(), d.getEventId(), d.getSessionId(), d.getTenant(), d.getUser(),
                d.getDecision(), d.getAllowed(), d.getScore(), d.getSeverity(), AvroJson.toJson(d.getViolations()),
                d.getConstitutionHash(), d.getConstitutionVersion(),
                d.getRulepackVersion() == null ? null : d.getRulepackVersion().toString(), d.getEvaluatedAt(), source);
    }

    /** details = the record's details, the lock held afterwards and who sent the command: the whole outcome. */
    static TrainingAuditRow trainingRow(TrainingAudit t, KafkaSource source) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", t.getDetails().getReason());
        details.put("previous_lock", t.getDetails().getPreviousLock());
        details.put("rejection", t.getDetails().getRejection());
        // conflict, forbidden, not_found or invalid: what the edge answered, which the message alone does not say
        details.put("rejection_kind", t.getDetails().getRejectionKind());
        details.put("current_lock", t.getCurrentLock());
        // the row's user is whom the command acted as; who sent it may be an admin naming that user
        details.put("user_tenant", t.getUserTenant());
        details.put("caller", t.getCaller());
        details.put("caller_tenant", t.getCallerTenant());
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

    static BudgetAuditRow budgetRow(BudgetAudit b, KafkaSource source) {
        return new BudgetAuditRow(b.getEventId(), b.getTenant(), b.getBudgetId(), b.getAction(), b.getRequestId(),
                b.getTimestamp(), b.getPeriodStart(), b.getPeriodEnd(), b.getTokens(), b.getUsd(), b.getReason(),
                source);
    }

    static ConstitutionAuditRow constitutionRow(ConstitutionAudit c, KafkaSource source) {
        return new ConstitutionAuditRow(c.getEventId(), c.getScope(), c.getOutcome(), c.getVersion(), c.getHash(),
                c.getKeyId(), c.getIssuedAt(), c.getTimestamp(), c.getReason(), c.getMessage(), source);
    }

    private static String status(CapsuleStatus status) {
        return status == null ? null : status.name().toLowerCase(Locale.ROOT);
    }
}
