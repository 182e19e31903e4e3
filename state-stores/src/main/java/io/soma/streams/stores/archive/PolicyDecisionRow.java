package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of {@code policy_decisions}, written by the archiver and returned by {@link DecisionArchiveQuery}.
 * The property names are the API's snake_case; {@code violations} is the stored JSON array, emitted as is.
 */
public record PolicyDecisionRow(
        @JsonProperty("decision_id") String decisionId,
        @JsonProperty("event_id") String eventId,
        @JsonProperty("session_id") String sessionId,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("user") String user,
        @JsonProperty("decision") String decision,
        @JsonProperty("allowed") boolean allowed,
        @JsonProperty("score") double score,
        @JsonProperty("severity") String severity,
        @JsonProperty("violations") @JsonRawValue String violationsJson,
        @JsonProperty("constitution_hash") String constitutionHash,
        @JsonProperty("constitution_version") String constitutionVersion,
        @JsonProperty("rulepack_version") String rulepackVersion,
        @JsonProperty("evaluated_at") Instant evaluatedAt,
        @JsonProperty("source") KafkaSource source) implements ArchiveRow {

    public PolicyDecisionRow {
        Objects.requireNonNull(decisionId, "decision_id");
        Objects.requireNonNull(eventId, "event_id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(violationsJson, "violations");
        Objects.requireNonNull(evaluatedAt, "evaluated_at");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String id() {
        return decisionId;
    }
}
