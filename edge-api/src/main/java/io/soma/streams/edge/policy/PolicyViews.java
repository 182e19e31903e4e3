package io.soma.streams.edge.policy;

import io.javalin.http.Context;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shapes of decisions, events and constitutions, in the field names existing clients read. */
final class PolicyViews {
    private PolicyViews() {
    }

    static Map<String, Object> violations(List<io.soma.streams.avro.Violation> violations, Map<String, Object> out) {
        out.put("policy", violations.stream().map(v -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", v.getName());
            m.put("pattern", v.getPattern());
            m.put("weight", v.getWeight());
            m.put("severity", v.getSeverity());
            m.put("action", v.getAction());
            m.put("description", v.getDescription());
            m.put("excerpt", v.getExcerpt());
            return m;
        }).toList());
        return out;
    }

    static Map<String, Object> decision(PolicyDecision d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("decision_id", d.getDecisionId());
        out.put("event_id", d.getEventId());
        out.put("session_id", d.getSessionId());
        out.put("tenant", d.getTenant());
        out.put("decision", d.getDecision());
        out.put("allowed", d.getAllowed());
        out.put("policy_score", d.getScore());
        out.put("score", d.getScore());
        out.put("severity", d.getSeverity());
        out.put("constitution_hash", d.getConstitutionHash());
        out.put("constitution_version", d.getConstitutionVersion());
        out.put("rulepack_version", d.getRulepackVersion());
        out.put("redacted_content", d.getRedactedContent());
        out.put("rules_evaluated", d.getRulesEvaluated());
        out.put("reason", d.getReason());
        out.put("evaluated_at", d.getEvaluatedAt().toString());
        // JSON null before any constitution is active, as at the top level (Map.of holds no null)
        Map<String, Object> reasons = new LinkedHashMap<>();
        reasons.put("constitution_hash", d.getConstitutionHash());
        out.put("reasons", violations(d.getViolations(), reasons));
        return out;
    }

    static Map<String, Object> event(ConversationEvent e) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("event_id", e.getEventId());
        out.put("session_id", e.getSessionId());
        out.put("tenant", e.getTenant());
        out.put("user", e.getUser());
        out.put("role", e.getRole());
        out.put("event_type", e.getEventType());
        out.put("timestamp", e.getTimestamp().toString());
        out.put("content", e.getContent());
        out.put("model", e.getModel());
        out.put("provider", e.getProvider());
        out.put("metadata", e.getMetadata());
        return out;
    }

    static Map<String, Object> constitution(ConstitutionBundle b) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scope", b.getTenant() == null ? "global" : b.getTenant());
        out.put("version", b.getVersion());
        out.put("hash", b.getHash());
        out.put("issued_at", b.getIssuedAt().toString());
        out.put("key_id", b.getSignature() == null ? null : b.getSignature().getKeyId());
        return out;
    }

    /** The policy headers (docs/openapi.yaml, components/headers) on every response that carries a decision. */
    static void headers(Context ctx, String decision, double score, String constitutionHash) {
        ctx.header("X-Policy-Decision", decision);
        ctx.header("X-Policy-Score", Double.toString(score));
        if (constitutionHash != null) {
            ctx.header("X-Constitution-Hash", constitutionHash);
        }
    }
}
