package io.soma.streams.edge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.kafka.KafkaPublish;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.policy.CompiledPolicy;
import io.soma.streams.topologies.policy.Constitution;
import io.soma.streams.topologies.policy.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.ConstitutionVerifier;
import io.soma.streams.topologies.policy.Evaluation;
import io.soma.streams.topologies.policy.EvaluationInput;
import io.soma.streams.topologies.policy.InvalidRulePackException;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.PolicyEvaluator;
import io.soma.streams.topologies.policy.RulePack;
import io.soma.streams.topologies.policy.RulePackJson;
import io.soma.streams.topologies.policy.RulePackProblem;
import io.soma.streams.topologies.policy.SignedBundle;
import io.soma.streams.topologies.policy.VerificationResult;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Governance endpoints: evaluation against the current stores (the same compiled policies the stream uses),
 * rule packs, the constitution, and the stale-constitution check.
 */
public final class PolicyHandlers {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PolicyApp.ActivePolicies policies;
    private final ConstitutionVerifier verifier;
    private final Producer<String, SpecificRecord> producer;

    /** @param verifier the policy app's own, so the edge refuses exactly what the stream would */
    public PolicyHandlers(PolicyApp.ActivePolicies policies, ConstitutionVerifier verifier,
                          Producer<String, SpecificRecord> producer) {
        this.policies = policies;
        this.verifier = verifier;
        this.producer = producer;
    }

    /** {@code POST /v1/evaluate}. */
    public void evaluate(Context ctx) {
        JsonNode body = JsonBody.object(ctx);
        String tenant = TenantGuard.tenant(ctx);
        JsonNode prompt = body.get("prompt");
        if (prompt != null && !prompt.isNull() && !prompt.isTextual()) {
            throw ApiException.badRequest("prompt must be a string");
        }
        String role = JsonBody.text(body, "role");
        CompiledPolicy policy = policies.forTenant(tenant);
        Evaluation e = PolicyEvaluator.evaluate(new EvaluationInput(prompt == null || prompt.isNull() ? null
                : prompt.asText(), role == null ? "user" : role, JsonBody.text(body, "tool")), policy);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("session_id", JsonBody.text(body, "session_id"));
        out.put("allowed", e.allowed());
        out.put("score", e.score());
        out.put("severity", e.severity().wire());
        out.put("decision", e.decision().wire());
        out.put("redacted_content", e.redactedText());
        out.put("reason", e.reason());
        Map<String, Object> reasons = new LinkedHashMap<>();
        reasons.put("constitution_hash", policy.constitutionHash());
        reasons.put("policy", e.violations().stream().map(v -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", v.name());
            m.put("pattern", v.pattern());
            m.put("weight", v.weight());
            m.put("severity", v.severity().wire());
            m.put("action", v.action().wire());
            m.put("description", v.description());
            m.put("excerpt", v.excerpt());
            return m;
        }).toList());
        out.put("reasons", reasons);
        PolicyViews.headers(ctx, e.decision().wire(), e.score(), policy.constitutionHash());
        ctx.json(out);
    }

    /** {@code GET /v1/policies/{tenant}}. */
    public void getPolicy(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        io.soma.streams.avro.RulePack pack = policies.rulePackFor(tenant);
        if (pack == null) {
            throw ApiException.notFound("tenant " + tenant + " has no rule pack");
        }
        ctx.contentType("application/json").result(RulePackJson.write(PolicyAvro.rulePack(pack)));
    }

    /** {@code PUT /v1/policies/{tenant}}: validated here, then published; 422 names the offending rule. */
    public void putPolicy(Context ctx) throws Exception {
        String tenant = TenantGuard.tenant(ctx);
        Principal caller = AuthHandler.principal(ctx);
        ObjectNode body = (ObjectNode) JsonBody.object(ctx);
        if (!body.has("rules") || !body.get("rules").isArray()) {
            throw ApiException.badRequest("rules is required (an array of rules)");
        }
        io.soma.streams.avro.RulePack current = policies.rulePackFor(tenant);
        long next = current == null ? 1 : current.getVersion() + 1;
        body.put("tenant", tenant);
        body.put("version", Math.max(next, body.path("version").asLong(0)));
        body.put("updated_at", Instant.now().toString());
        body.put("updated_by", caller.subject());
        RulePack pack;
        try {
            pack = RulePackJson.read(JSON.writeValueAsString(body));
        } catch (InvalidRulePackException e) {
            throw ApiException.unprocessable("the rule pack is invalid", Map.of("problems",
                    e.problems().stream().map(PolicyHandlers::problem).toList()));
        }
        KafkaPublish.acknowledged(producer, new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), tenant,
                PolicyAvro.rulePack(pack)), KafkaPublish.TIMEOUT, "the rule pack of " + tenant, Map.of("tenant", tenant));
        ctx.contentType("application/json").result(RulePackJson.write(pack));
    }

    /** {@code GET /v1/constitution}: the active global constitution. */
    public void getConstitution(Context ctx) {
        ConstitutionBundle active = policies.constitutionFor(Constitution.GLOBAL_SCOPE);
        if (active == null) {
            throw ApiException.notFound("no constitution is active yet");
        }
        ctx.json(PolicyViews.constitution(active));
    }

    /** {@code GET /v1/constitution/{tenant}/hash}: the constitution governing the tenant. */
    public void getConstitutionHash(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        ConstitutionBundle active = policies.constitutionFor(tenant);
        if (active == null) {
            throw ApiException.notFound("no constitution governs " + tenant);
        }
        Map<String, Object> out = PolicyViews.constitution(active);
        out.put("tenant", tenant);
        ctx.json(out);
    }

    /**
     * {@code POST /v1/constitution}: a caller publishes for its own tenant only, unless it is a platform operator
     * (the global constitution governs every tenant, so only an operator publishes it). Verified here first so the
     * caller hears why a bundle is refused, then published; the policy app verifies it again before it becomes
     * active.
     */
    public void publishConstitution(Context ctx) throws Exception {
        SignedBundle bundle;
        try {
            bundle = ConstitutionBundleJson.read(ctx.body());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        String scope = bundle.tenant() == null ? Constitution.GLOBAL_SCOPE : bundle.tenant();
        // the tenant is inside the signed bundle, where the route's scope cannot see it
        TenantGuard.requireActsOn(AuthHandler.principal(ctx), bundle.tenant());
        ConstitutionBundle activeBundle = bundle.tenant() == null
                ? policies.constitutionFor(Constitution.GLOBAL_SCOPE) : policies.constitutionOf(scope);
        Constitution active = null;
        if (activeBundle != null && verifier.verify(PolicyAvro.bundle(activeBundle), null)
                instanceof VerificationResult.Verified v) {
            active = v.constitution();
        }
        VerificationResult result = verifier.verify(bundle, active);
        if (result instanceof VerificationResult.Rejection rejection) {
            throw ApiException.unprocessable("constitution rejected: " + rejection.message(),
                    Map.of("reason", rejection.reason().wire()));
        }
        Constitution verified = ((VerificationResult.Verified) result).constitution();
        KafkaPublish.acknowledged(producer, new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), scope,
                PolicyAvro.bundle(bundle)), KafkaPublish.TIMEOUT, "the constitution of " + scope, Map.of("scope", scope));
        ctx.status(202).json(Map.of("scope", scope, "version", verified.version(), "hash", verified.hash(),
                "status", "accepted"));
    }

    /**
     * A caller acting on a constitution other than the active one is refused: its gateway is stale. Runs before
     * every authenticated route that names {@code X-Constitution-Hash}.
     */
    public void refuseStaleConstitution(Context ctx) {
        String presented = ctx.header("X-Constitution-Hash");
        if (presented == null || presented.isBlank() || !AuthHandler.isAuthenticated(ctx)) {
            return;
        }
        ConstitutionBundle active = policies.constitutionFor(AuthHandler.principal(ctx).tenant());
        if (active != null && !active.getHash().equalsIgnoreCase(presented.trim())) {
            throw new ApiException(409, "conflict", "stale constitution: the active one is " + active.getHash(),
                    Map.of("active_hash", active.getHash(), "active_version", active.getVersion(),
                            "presented_hash", presented));
        }
    }

    private static Map<String, Object> problem(RulePackProblem p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", p.rule());
        m.put("field", p.field());
        m.put("message", p.message());
        return m;
    }
}
