package io.soma.streams.schemas;

import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetReservationReply;
import io.soma.streams.avro.BudgetReservationRequest;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleReviewCommand;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.ConstitutionAudit;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.RulePack;
import io.soma.streams.avro.RulePackReply;
import io.soma.streams.avro.RulePackRequest;
import io.soma.streams.avro.SlmAlert;
import io.soma.streams.avro.SlmMetricsWindow;
import io.soma.streams.avro.TokenForecast;
import io.soma.streams.avro.TokenUsageWindow;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.avro.TrainingModeState;
import io.soma.streams.schemas.dlq.DeadLetterLimit;
import io.soma.streams.schemas.serde.AvroSerde;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every topic in one place (the table in docs/architecture.md): its name, whether it is compacted, and its value type. Keys are
 * strings (session id, tenant, or {@code model@provider}); values are Avro in the registry under
 * {@code <topic>-value}.
 */
public final class Topics {
    public static final Topic<ConversationEvent> CONVERSATION_EVENTS = delete("conversation.events", ConversationEvent.class);
    public static final Topic<ConstitutionBundle> CONSTITUTION_UPDATED = compact("constitution.updated", ConstitutionBundle.class);
    /** Verified constitutions only, by scope (tenant or {@code global}): every instance's active constitution. */
    public static final Topic<ConstitutionBundle> CONSTITUTION_ACTIVE = compact("constitution.active", ConstitutionBundle.class);
    /** Every bundle the gate activated or refused, by scope: the history that the compacted topics drop. */
    public static final Topic<ConstitutionAudit> CONSTITUTION_AUDIT = delete("constitution.audit", ConstitutionAudit.class);
    public static final Topic<RulePack> POLICY_RULEPACKS = compact("policy.rulepacks", RulePack.class);
    /** Conditional pack replacements from the edge; the policy app alone assigns versions and writes the packs. */
    public static final Topic<RulePackRequest> POLICY_RULEPACK_REQUESTS = delete("policy.rulepack.requests", RulePackRequest.class);
    public static final Topic<RulePackReply> POLICY_RULEPACK_REPLIES = delete("policy.rulepack.replies", RulePackReply.class);
    public static final Topic<PolicyDecision> POLICY_DECISIONS = delete("policy.decisions", PolicyDecision.class);
    public static final Topic<TrainingCommand> TRAINING_COMMANDS = delete("training.commands", TrainingCommand.class);
    public static final Topic<TrainingAudit> TRAINING_AUDIT = delete("training.audit", TrainingAudit.class);
    public static final Topic<TrainingModeState> TRAINING_STATE = compact("training.state", TrainingModeState.class);
    /** Policy-allowed events of tenants in training mode, kept for fine-tuning export. */
    public static final Topic<ConversationEvent> TRAINING_CAPTURE = delete("training.capture", ConversationEvent.class);
    public static final Topic<IdentityAudit> IDENTITY_AUDIT = delete("identity.audit", IdentityAudit.class);
    public static final Topic<TokenUsageWindow> TOKEN_USAGE = delete("token.usage", TokenUsageWindow.class);
    public static final Topic<TokenForecast> TOKEN_FORECASTS = delete("token.forecasts", TokenForecast.class);
    public static final Topic<SlmMetricsWindow> SLM_METRICS = delete("slm.metrics", SlmMetricsWindow.class);
    public static final Topic<SlmAlert> SLM_ALERTS = delete("slm.alerts", SlmAlert.class);
    /** Signed capsule versions from publishers, keyed by capsule id. */
    public static final Topic<CapsuleSubmission> MARKETPLACE_SUBMISSIONS = delete("marketplace.submissions", CapsuleSubmission.class);
    /** Reviewer commands, keyed by capsule id, so one capsule's commands apply in order. */
    public static final Topic<CapsuleReviewCommand> MARKETPLACE_REVIEWS = delete("marketplace.reviews", CapsuleReviewCommand.class);
    /** The catalog: the latest entry per capsule id. */
    public static final Topic<CapsuleCatalogEntry> MARKETPLACE_CATALOG = compact("marketplace.catalog", CapsuleCatalogEntry.class);
    public static final Topic<MarketplaceAudit> MARKETPLACE_AUDIT = delete("marketplace.audit", MarketplaceAudit.class);
    /** Budgets by {@code tenant/budget_id}; a tombstone deletes one. */
    public static final Topic<BudgetDefinition> BUDGET_DEFINITIONS = compact("budget.definitions", BudgetDefinition.class);
    /** Reservation requests by tenant; the budget app answers each on {@code budget.replies}. */
    public static final Topic<BudgetReservationRequest> BUDGET_RESERVATIONS = delete("budget.reservations", BudgetReservationRequest.class);
    public static final Topic<BudgetReservationReply> BUDGET_REPLIES = delete("budget.replies", BudgetReservationReply.class);
    /** Each budget's current period by {@code tenant/budget_id}; a tombstone once the budget is deleted. */
    public static final Topic<BudgetStatus> BUDGET_STATUS = compact("budget.status", BudgetStatus.class);
    public static final Topic<BudgetAudit> BUDGET_AUDIT = delete("budget.audit", BudgetAudit.class);
    public static final Topic<BudgetAlert> BUDGET_ALERTS = delete("budget.alerts", BudgetAlert.class);
    /** Poison records: the original key and value bytes, with headers naming the reason and the source. */
    public static final String DEAD_LETTER = "soma.dlq";

    private Topics() {
    }

    public static List<Topic<?>> all() {
        return List.of(CONVERSATION_EVENTS, CONSTITUTION_UPDATED, CONSTITUTION_ACTIVE, CONSTITUTION_AUDIT,
                POLICY_RULEPACKS, POLICY_RULEPACK_REQUESTS, POLICY_RULEPACK_REPLIES, POLICY_DECISIONS, TRAINING_COMMANDS,
                TRAINING_AUDIT, TRAINING_STATE, TRAINING_CAPTURE, IDENTITY_AUDIT, TOKEN_USAGE, TOKEN_FORECASTS,
                SLM_METRICS, SLM_ALERTS, MARKETPLACE_SUBMISSIONS, MARKETPLACE_REVIEWS, MARKETPLACE_CATALOG,
                MARKETPLACE_AUDIT, BUDGET_DEFINITIONS, BUDGET_RESERVATIONS, BUDGET_REPLIES, BUDGET_STATUS,
                BUDGET_AUDIT, BUDGET_ALERTS);
    }

    /** What the provisioner creates: every typed topic plus the dead-letter topic, which takes larger records. */
    public static List<TopicProvisioner.TopicSpec> provisioned() {
        List<TopicProvisioner.TopicSpec> specs = new java.util.ArrayList<>(all());
        specs.add(new TopicProvisioner.TopicSpec() {
            @Override
            public String name() {
                return DEAD_LETTER;
            }

            @Override
            public boolean compacted() {
                return false;
            }

            @Override
            public int maxMessageBytes() {
                return DeadLetterLimit.MAX_RECORD_BYTES;
            }
        });
        return specs;
    }

    /** Topic → value schema, for registration at start. */
    public static Map<String, Schema> valueSchemas() {
        Map<String, Schema> schemas = new LinkedHashMap<>();
        all().forEach(t -> schemas.put(t.name(), t.valueSchema()));
        return schemas;
    }

    private static <V extends SpecificRecord> Topic<V> delete(String name, Class<V> type) {
        return new Topic<>(name, type, false);
    }

    private static <V extends SpecificRecord> Topic<V> compact(String name, Class<V> type) {
        return new Topic<>(name, type, true);
    }

    /** A topic with its value type; serdes are made against a given registry. */
    public record Topic<V extends SpecificRecord>(String name, Class<V> valueType, boolean compacted)
            implements TopicProvisioner.TopicSpec {

        public Schema valueSchema() {
            return org.apache.avro.specific.SpecificData.get().getSchema(valueType);
        }

        public Serde<String> keySerde() {
            return Serdes.String();
        }

        public AvroSerde<V> valueSerde(SchemaRegistryClient registry) {
            return new AvroSerde<>(valueType, registry, false);
        }
    }
}
