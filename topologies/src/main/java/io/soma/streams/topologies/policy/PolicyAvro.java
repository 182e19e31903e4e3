package io.soma.streams.topologies.policy;

import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.RuleScope;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.Severity;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

/** Between the topics' Avro records and the policy domain. */
public final class PolicyAvro {
    private PolicyAvro() {
    }

    public static RulePack rulePack(io.soma.streams.avro.RulePack avro) {
        List<Rule> rules = avro.getRules().stream().map(PolicyAvro::rule).toList();
        return new RulePack(avro.getTenant(), avro.getVersion(), rules, avro.getUpdatedAt(), avro.getUpdatedBy());
    }

    public static io.soma.streams.avro.RulePack rulePack(RulePack pack) {
        return io.soma.streams.avro.RulePack.newBuilder()
                .setTenant(pack.tenant())
                .setVersion(pack.version())
                .setRules(pack.rules().stream().map(PolicyAvro::rule).toList())
                .setUpdatedAt(pack.updatedAt())
                .setUpdatedBy(pack.updatedBy())
                .build();
    }

    private static Rule rule(io.soma.streams.avro.Rule r) {
        RuleScope scope = r.getAppliesTo();
        return new Rule(r.getName(), r.getPattern(), MatchType.fromWire(r.getMatch()), r.getWeight(),
                Severity.fromWire(r.getSeverity()), Action.fromWire(r.getAction()),
                scope == null ? java.util.Set.of() : new HashSet<>(scope.getRoles()),
                scope == null ? java.util.Set.of() : new HashSet<>(scope.getTools()),
                r.getDescription());
    }

    private static io.soma.streams.avro.Rule rule(Rule r) {
        return io.soma.streams.avro.Rule.newBuilder()
                .setName(r.name())
                .setPattern(r.pattern())
                .setMatch(r.match().wire())
                .setWeight(r.weight())
                .setSeverity(r.severity().wire())
                .setAction(r.action().wire())
                .setAppliesTo(RuleScope.newBuilder()
                        .setRoles(r.appliesToRoles().stream().sorted().toList())
                        .setTools(r.appliesToTools().stream().sorted().toList())
                        .build())
                .setDescription(r.description())
                .build();
    }

    public static SignedBundle bundle(ConstitutionBundle avro) {
        io.soma.streams.avro.Signature s = avro.getSignature();
        return new SignedBundle(avro.getVersion(), avro.getIssuedAt(), avro.getDocumentJson(), avro.getHash(),
                s == null ? null : new SignedBundle.Signature(s.getAlgorithm(), s.getValue(), s.getKeyId()),
                avro.getTenant());
    }

    public static ConstitutionBundle bundle(SignedBundle bundle) {
        SignedBundle.Signature s = bundle.signature();
        return ConstitutionBundle.newBuilder()
                .setVersion(bundle.version())
                .setIssuedAt(bundle.issuedAt())
                .setDocumentJson(bundle.documentJson())
                .setHash(bundle.hash())
                .setSignature(s == null ? null : io.soma.streams.avro.Signature.newBuilder()
                        .setAlgorithm(s.algorithm()).setValue(s.value()).setKeyId(s.keyId()).build())
                .setTenant(bundle.tenant())
                .build();
    }

    /** The same event always gets the same decision id, so a replay or retry never makes a second row. */
    public static String decisionId(String eventId) {
        return UUID.nameUUIDFromBytes(("policy-decision:" + eventId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    public static PolicyDecision decision(ConversationEvent event, CompiledPolicy policy, Evaluation e,
                                          Instant evaluatedAt, long micros) {
        return PolicyDecision.newBuilder()
                .setDecisionId(decisionId(event.getEventId()))
                .setEventId(event.getEventId())
                .setSessionId(event.getSessionId())
                .setTenant(event.getTenant())
                .setUser(event.getUser())
                .setDecision(e.decision().wire())
                .setAllowed(e.allowed())
                .setScore(e.score())
                .setSeverity(e.severity().wire())
                .setViolations(e.violations().stream().map(v -> io.soma.streams.avro.Violation.newBuilder()
                        .setName(v.name())
                        .setPattern(v.pattern())
                        .setWeight(v.weight())
                        .setSeverity(v.severity().wire())
                        .setAction(v.action().wire())
                        .setDescription(v.description())
                        .setExcerpt(v.excerpt())
                        .build()).toList())
                .setRedactedContent(e.redactedText())
                .setConstitutionHash(policy.constitutionHash())
                .setConstitutionVersion(policy.constitutionVersion())
                .setRulepackVersion(policy.rulePackVersion())
                .setRulesEvaluated(e.rulesEvaluated())
                .setEvaluatedAt(evaluatedAt)
                .setEvaluationMicros(micros)
                .setReason(e.reason())
                .build();
    }
}
