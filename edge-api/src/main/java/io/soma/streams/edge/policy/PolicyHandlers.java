package io.soma.streams.edge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.RulePackReply;
import io.soma.streams.avro.RulePackRequest;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.kafka.KafkaPublish;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.ConstitutionHistoryQuery;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.constitution.CanonicalJson;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import io.soma.streams.topologies.policy.constitution.VerificationResult;
import io.soma.streams.topologies.policy.detectors.DetectorKind;
import io.soma.streams.topologies.policy.detectors.DetectorSelection;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.rules.BuiltInPacks;
import io.soma.streams.topologies.policy.rules.InvalidRulePackException;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.RulePackJson;
import io.soma.streams.topologies.policy.rules.RulePackProblem;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Governance endpoints: evaluation against the current stores (the same compiled policies the stream uses),
 * rule packs, the constitution, and the stale-constitution check.
 */
public final class PolicyHandlers {
    private static final String RULES_REQUIRED =
            "rules is required (an array of rules), or include (names of built-in packs)";
    private final ActivePolicies policies;
    private final ConstitutionVerifier verifier;
    private final Producer<String, SpecificRecord> producer;
    private final ReplyWaiter<RulePackReply> rulePackReplies;
    private final Duration replyTimeout;
    private final ConstitutionHistoryQuery history;

    /**
     * @param verifier the policy app's own, so the edge refuses exactly what the stream would
     * @param history  the archived verdicts of the policy app's constitution gate
     */
    public PolicyHandlers(ActivePolicies policies, ConstitutionVerifier verifier,
                          Producer<String, SpecificRecord> producer, ReplyWaiter<RulePackReply> rulePackReplies,
                          Duration replyTimeout, ConstitutionHistoryQuery history) {
        this.history = history;
        this.policies = policies;
        this.verifier = verifier;
        this.producer = producer;
        this.rulePackReplies = rulePackReplies;
        this.replyTimeout = replyTimeout;
    }

    /** {@code POST /v1/evaluate}. */
    public void evaluate(Context ctx) {
        JsonNode body = JsonBody.object(ctx);
        String tenant = TenantGuard.tenant(ctx);
        // read as a step's content is: a blank prompt is none, and one holding NUL is refused, so that the two
        // cannot decide the same text differently
        String prompt = JsonBody.text(body, "prompt");
        String role = EventRoles.of(body);
        JsonNode spans = body.path("spans");
        if (!spans.isMissingNode() && !spans.isNull() && !spans.isBoolean()) {
            throw ApiException.badRequest("spans must be a boolean");
        }
        CompiledPolicy policy = policies.forTenant(tenant);
        Evaluation e = PolicyEvaluator.evaluate(new EvaluationInput(prompt, role,
                JsonBody.text(body, "tool"),
                policies.capsule(JsonBody.text(body, "capsule_id"))), policy);
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
            if (spans.asBoolean(false)) {
                // offsets and labels only: a caller can mark what matched without this response carrying it
                m.put("spans", v.spans().stream().map(s -> Map.of("start", s.start(), "end", s.end(),
                        "label", s.label())).toList());
            }
            return m;
        }).toList());
        out.put("reasons", reasons);
        PolicyViews.headers(ctx, e.decision().wire(), e.score(), policy.constitutionHash());
        ctx.json(out);
    }

    /**
     * {@code GET /v1/policies/{tenant}}: the pack in this instance's global table, the one its stream evaluates,
     * with its version as the ETag.
     */
    public void getPolicy(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        io.soma.streams.avro.RulePack pack = policies.rulePackFor(tenant);
        if (pack == null) {
            throw ApiException.notFound("tenant " + tenant + " has no rule pack");
        }
        ctx.header("ETag", etag(pack.getVersion()));
        ctx.contentType("application/json").result(RulePackJson.write(PolicyAvro.rulePack(pack)));
    }

    /**
     * {@code PUT /v1/policies/{tenant}}: a conditional replacement. {@code If-Match} names the version replaced
     * ({@code If-None-Match: *} creates the first pack); without either, 428. Validated here (422 names the
     * offending rule), then sequenced by the policy app, which alone assigns versions: a request whose version is
     * no longer current gets 412.
     */
    public void putPolicy(Context ctx) {
        String tenant = TenantGuard.tenant(ctx);
        Principal caller = AuthHandler.principal(ctx);
        // the body first: one too large is 413 whatever its headers
        ObjectNode body = (ObjectNode) JsonBody.object(ctx);
        long expectedVersion = expectedVersion(ctx);
        JsonNode rules = body.get("rules");
        if (rules != null && !rules.isNull() && !rules.isArray()) {
            // before the include: it would replace the rules, and the pack would lose them with a 200
            throw ApiException.badRequest(RULES_REQUIRED);
        }
        includeBuiltInPacks(body);
        if (!body.has("rules") || !body.get("rules").isArray()) {
            throw ApiException.badRequest(RULES_REQUIRED);
        }
        body.put("tenant", tenant);
        // a placeholder: the policy app assigns the version
        body.put("version", expectedVersion + 1);
        body.put("updated_at", Instant.now().toString());
        body.put("updated_by", caller.subject());
        RulePack pack;
        try {
            pack = RulePackJson.read(body.toString());
        } catch (InvalidRulePackException e) {
            throw ApiException.unprocessable("the rule pack is invalid", Map.of("problems",
                    e.problems().stream().map(PolicyHandlers::problem).toList()));
        }
        String requestId = UUID.randomUUID().toString();
        Map<String, Object> ids = Map.of("tenant", tenant, "request_id", requestId);
        RulePackRequest request = RulePackRequest.newBuilder().setRequestId(requestId)
                .setExpectedVersion(expectedVersion).setPack(PolicyAvro.rulePack(pack)).build();
        RulePackReply reply = rulePackReplies.request(producer, new ProducerRecord<>(
                        Topics.POLICY_RULEPACK_REQUESTS.name(), tenant, request), requestId, ids, replyTimeout,
                () -> new ApiException(504, "timeout", "no answer to the rule pack request " + requestId + " within "
                        + replyTimeout.toMillis() + " ms; it will still be decided once: check GET and its ETag", ids));
        if (!PolicyApp.ACCEPTED.equals(reply.getOutcome())) {
            Map<String, Object> details = new LinkedHashMap<>(ids);
            details.put("current_etag", reply.getVersion() == 0 ? null : etag(reply.getVersion()));
            throw new ApiException(412, ErrorResponses.errorName(412), "the rule pack of " + tenant
                    + " is at version " + reply.getVersion() + ", not " + expectedVersion + ": read it again and retry",
                    details);
        }
        RulePack accepted = new RulePack(pack.tenant(), reply.getVersion(), pack.rules(), pack.updatedAt(), pack.updatedBy());
        ctx.header("ETag", etag(accepted.version()));
        ctx.contentType("application/json").result(RulePackJson.write(accepted));
    }

    /**
     * {@code "include": ["guardrails"]}: appends a copy of each named built-in pack's rules to {@code rules}, so the
     * tenant's pack holds them and is versioned as any pack; a later release of the built-in pack changes nothing
     * until the tenant includes it again.
     */
    private static void includeBuiltInPacks(ObjectNode body) {
        JsonNode include = body.remove("include");
        if (include == null || include.isNull()) {
            return;
        }
        if (!include.isArray()) {
            throw ApiException.badRequest("include must be an array of built-in pack names");
        }
        ArrayNode rules = body.has("rules") && body.get("rules").isArray() ? (ArrayNode) body.get("rules")
                : body.putArray("rules");
        for (JsonNode name : include) {
            BuiltInPacks.BuiltInPack pack = BuiltInPacks.named(name.asText()).orElseThrow(() ->
                    ApiException.unprocessable("unknown built-in pack " + name, Map.of("built_in_packs",
                            BuiltInPacks.all().stream().map(BuiltInPacks.BuiltInPack::name).toList())));
            rules.addAll(RulePackJson.writeRules(pack.rules()));
        }
    }

    /** {@code GET /v1/detectors}: the detector rule kinds, their types, and the built-in packs to include. */
    public void detectors(Context ctx) {
        ctx.json(Map.of(
                "kinds", Arrays.stream(DetectorKind.values()).map(kind -> Map.of(
                        "match", kind.wire(),
                        "description", kind.description(),
                        "pattern", "type names separated by spaces or commas, or " + DetectorSelection.ALL,
                        "types", kind.types().stream().map(t -> Map.of("name", t.name(), "label", t.label(),
                                "description", t.description())).toList())).toList(),
                "built_in_packs", BuiltInPacks.all().stream().map(pack -> Map.of(
                        "name", pack.name(),
                        "version", pack.version(),
                        "description", pack.description(),
                        "rules", RulePackJson.writeRules(pack.rules()))).toList()));
    }

    /** A pack's ETag: its server-assigned version, quoted. */
    static String etag(long version) {
        return "\"" + version + "\"";
    }

    /** The version a PUT replaces: from {@code If-Match: "<version>"}, or 0 for {@code If-None-Match: *}. */
    private static long expectedVersion(Context ctx) {
        String ifMatch = ctx.header("If-Match");
        String ifNoneMatch = ctx.header("If-None-Match");
        if (ifMatch == null && ifNoneMatch == null) {
            throw new ApiException(428, ErrorResponses.errorName(428), "send If-Match with the ETag of GET to "
                    + "replace the rule pack, or If-None-Match: * to create the first one", Map.of());
        }
        if (ifMatch == null) {
            if (!ifNoneMatch.trim().equals("*")) {
                throw ApiException.badRequest("If-None-Match must be * (create the first rule pack)");
            }
            return 0;
        }
        String tag = ifMatch.trim();
        try {
            long version = Long.parseLong(tag.substring(1, tag.length() - 1));
            if (tag.length() > 2 && tag.startsWith("\"") && tag.endsWith("\"") && version > 0) {
                return version;
            }
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            // not one of ours: it cannot match
        }
        throw new ApiException(412, ErrorResponses.errorName(412), "If-Match " + tag
                + " is not the ETag of any version of this rule pack", Map.of());
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

    /** {@code GET /v1/constitution/history}: the global constitution's history. */
    public void getGlobalConstitutionHistory(Context ctx) {
        constitutionHistory(ctx, Constitution.GLOBAL_SCOPE);
    }

    /** {@code GET /v1/constitution/{tenant}/history}: the history of the tenant's own constitution. */
    public void getConstitutionHistory(Context ctx) {
        constitutionHistory(ctx, TenantGuard.tenant(ctx));
    }

    /**
     * Every bundle the policy app activated or refused for the scope, newest first, from the audit archive (the
     * compacted topics keep only the latest).
     */
    private void constitutionHistory(Context ctx, String scope) {
        QueryParams.answerArchivePage(ctx, "scope", scope, "history",
                (from, to, limit, cursor) -> history.page(scope, from, to, limit, cursor));
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
            bundle = ConstitutionBundleJson.read(JsonBody.text(ctx));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        String scope = bundle.tenant() == null ? Constitution.GLOBAL_SCOPE : bundle.tenant();
        // the tenant is inside the signed bundle, where the route's scope cannot see it
        TenantGuard.requireActsOn(AuthHandler.principal(ctx), bundle.tenant());
        // the stored bundle, verified or not: re-signing a document whose key is no longer trusted is how it is
        // made active again, and must not meet the checks of a new document
        ConstitutionBundle activeBundle = policies.constitutionOf(scope);
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
        // a new document is held to what a pack is: a misspelt rule field is refused, not defaulted. Not the active
        // document published again (a key rotation re-signs it as it is), nor by the stream's verifier: a document
        // signed and active before this check must stay valid
        boolean activeAgain = activeBundle != null && activeBundle.getHash().equalsIgnoreCase(verified.hash());
        List<RulePackProblem> unknown = activeAgain ? List.of() : RulePackJson.unknownRuleFields(
                CanonicalJson.parse(bundle.documentJson()).path("rules"));
        if (!unknown.isEmpty()) {
            throw ApiException.unprocessable("constitution rejected: invalid global rules: " + unknown,
                    Map.of("reason", VerificationResult.Reason.MALFORMED.wire()));
        }
        KafkaPublish.acknowledged(producer, new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), scope,
                PolicyAvro.bundle(bundle)), KafkaPublish.TIMEOUT, "the constitution of " + scope, Map.of("scope", scope));
        ctx.status(202).json(Map.of("scope", scope, "version", verified.version(), "hash", verified.hash(),
                "status", "accepted"));
    }

    /**
     * A caller acting on a constitution other than the active one of the tenant it acts on is refused: its gateway is
     * stale. Runs before every authenticated route that names {@code X-Constitution-Hash}, after TenantGuard.
     */
    public void refuseStaleConstitution(Context ctx) {
        String presented = ctx.header("X-Constitution-Hash");
        if (presented == null || presented.isBlank() || !AuthHandler.isAuthenticated(ctx)) {
            return;
        }
        ConstitutionBundle active = policies.constitutionFor(
                TenantGuard.tenantOrCallers(ctx, AuthHandler.principal(ctx)));
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
