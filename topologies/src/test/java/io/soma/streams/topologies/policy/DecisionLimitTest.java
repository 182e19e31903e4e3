package io.soma.streams.topologies.policy;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.Severity;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecisionLimitTest {
    /** Redacts every digit, each as {@code [REDACTED:<this 200-character name>]}. */
    private static final Rule EVERY_DIGIT = new Rule("digit-" + "x".repeat(194), "\\d", MatchType.REGEX, 0.1,
            Severity.LOW, Action.REDACT, Set.of(), Set.of(), null);
    private static final String DIGITS = "7".repeat(32_000);

    @Test
    void shouldLeaveADecisionThatFitsAsItIs() {
        PolicyDecision decision = decide(List.of(EVERY_DIGIT), "s-1", "call 555 0100");

        assertThat(bounded(decision)).isSameAs(decision);
        assertThat(decision.getRedactedContent()).contains("[REDACTED:digit-");
    }

    @Test
    void shouldFailClosedWithoutTheRedactedTextWhenTheDecisionWouldBeOverTheLimit() {
        PolicyDecision decision = decide(List.of(EVERY_DIGIT), "s-1", DIGITS);
        assertThat(decision.getDecision()).isEqualTo("redact");
        assertThat(DecisionLimit.avroBytes(decision)).isGreaterThan(6_000_000);

        PolicyDecision bounded = bounded(decision);

        assertThat(bounded.getDecision()).isEqualTo("review");
        assertThat(bounded.getAllowed()).isFalse();
        assertThat(bounded.getReason()).isEqualTo(DecisionLimit.DECISION_TOO_LARGE);
        assertThat(bounded.getRedactedContent()).isNull();
        assertThat(bounded.getViolations()).singleElement().satisfies(v -> {
            assertThat(v.getName()).isEqualTo(EVERY_DIGIT.name());
            assertThat(v.getExcerpt()).isNull();
        });
        assertThat(bounded.getScore()).isEqualTo(decision.getScore());
        assertThat(bounded.getSeverity()).isEqualTo(decision.getSeverity());
    }

    @Test
    void shouldKeepADenyADenyWhenItFailsClosed() {
        // a deny has no redacted text: its size is 150 excerpts of 41 characters, each character a redact marker
        List<Rule> rules = new java.util.ArrayList<>(List.of(EVERY_DIGIT));
        for (int i = 0; i < 150; i++) {
            rules.add(new Rule("no-digits-" + i, "\\d", MatchType.REGEX, 0.01, Severity.HIGH, Action.DENY, Set.of(),
                    Set.of(), null));
        }
        PolicyDecision decision = decide(rules, "s-1", DIGITS);
        assertThat(decision.getDecision()).isEqualTo("deny");
        assertThat(decision.getRedactedContent()).isNull();

        PolicyDecision bounded = bounded(decision);

        assertThat(bounded.getDecision()).isEqualTo("deny");
        assertThat(bounded.getReason()).isEqualTo(DecisionLimit.DECISION_TOO_LARGE);
        assertThat(bounded.getViolations()).hasSize(151).allSatisfy(v -> assertThat(v.getExcerpt()).isNull());
    }

    @Test
    void shouldKeepADecisionOfAPackWhoseRulesAllMatchWhenItsEncodingFits() {
        // a pack's most rules, all matching: the quick bound says 2.5 MB, the encoding is far under the limit
        List<Rule> rules = IntStream.range(0, 5_000).mapToObj(i -> new Rule("r-" + i, "a", MatchType.SUBSTRING, 0.0001,
                Severity.LOW, Action.LOG, Set.of(), Set.of(), null)).toList();
        PolicyDecision decision = decide(rules, "s-1", "a");
        assertThat(decision.getViolations()).hasSize(5_000);
        assertThat(DecisionLimit.upperBound(decision))
                .isGreaterThan(DecisionLimit.MAX_DECISION_BYTES);

        assertThat(bounded(decision)).isSameAs(decision);
    }

    @Test
    void shouldKeepTheViolationsThatFitDenyRulesFirstWhenEvenTheirListIsTooLarge() {
        // a pack's most rules, all matching, named in 200 characters: over 1 MB of violations without excerpts
        List<Rule> rules = new ArrayList<>(IntStream.range(0, 4_999).mapToObj(i -> new Rule(
                String.format("%04d-", i) + "n".repeat(195), "a", MatchType.SUBSTRING, 0.0001, Severity.LOW,
                Action.REVIEW, Set.of(), Set.of(), null)).toList());
        rules.add(new Rule("zz-deny", "a", MatchType.SUBSTRING, 0.0001, Severity.HIGH, Action.DENY, Set.of(), Set.of(),
                null));
        PolicyDecision decision = decide(rules, "s-1", "a");
        assertThat(decision.getDecision()).isEqualTo("deny");
        assertThat(decision.getViolations().get(decision.getViolations().size() - 1).getName()).isEqualTo("zz-deny");

        PolicyDecision bounded = bounded(decision);

        assertThat(bounded.getDecision()).isEqualTo("deny");
        assertThat(bounded.getReason()).isEqualTo(DecisionLimit.DECISION_TOO_LARGE);
        assertThat(bounded.getViolations().get(0).getName()).isEqualTo("zz-deny");
        assertThat(bounded.getViolations()).hasSizeBetween(4_000, 4_999)
                .allSatisfy(v -> assertThat(v.getExcerpt()).isNull());
        assertThat(bounded.getScore()).isEqualTo(decision.getScore());
        assertThat(DecisionLimit.avroBytes(bounded) + 5 + "s-1".length()).isLessThanOrEqualTo(DecisionLimit.MAX_DECISION_BYTES);
    }

    @Test
    void shouldCountExactlyBeforeRefusingWhatOnlyTheQuickBoundSaysIsLarge() {
        // 320,000 ASCII characters of session and event id in the value: 3 bytes a char would say 960 KB
        PolicyDecision decision = decide(List.of(), "s".repeat(160_000), "hello");
        assertThat(DecisionLimit.upperBound(decision))
                .isGreaterThan(DecisionLimit.MAX_DECISION_BYTES);

        assertThat(bounded(decision)).isSameAs(decision);
    }

    @Test
    void shouldCountTheHeadersTheDecisionKeeps() {
        // 384,000 characters of redacted text fit alone; with the event's 600 KB of headers they do not
        Rule shortName = new Rule("d", "\\d", MatchType.REGEX, 0.1, Severity.LOW, Action.REDACT, Set.of(), Set.of(),
                null);
        PolicyDecision decision = decide(List.of(shortName), "s-1", DIGITS);
        RecordHeaders headers = new RecordHeaders();
        headers.add("traceparent", new byte[600_000]);

        assertThat(bounded(decision)).isSameAs(decision);
        PolicyDecision bounded = DecisionLimit.bounded(decision, "s-1", headers);
        assertThat(bounded.getReason()).isEqualTo(DecisionLimit.DECISION_TOO_LARGE);
        assertThat(bounded.getRedactedContent()).isNull();
    }

    @Test
    void shouldRefuseADecisionThatCannotFitEvenFailedClosed() {
        PolicyDecision decision = decide(List.of(EVERY_DIGIT), "é".repeat(200_000), DIGITS);

        assertThatThrownBy(() -> bounded(decision)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("even without its redacted text and violations");
    }

    @Test
    void shouldMeasureUtf8AsTheEncoderDoes() {
        String text = "aé€😀";
        assertThat(DecisionLimit.utf8Bytes(text)).isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }

    /** As the app calls it for an event keyed by its session, without headers. */
    private static PolicyDecision bounded(PolicyDecision decision) {
        return DecisionLimit.bounded(decision, decision.getSessionId(), new RecordHeaders());
    }

    private static PolicyDecision decide(List<Rule> rules, String session, String text) {
        return decide(rules, event(session, text));
    }

    static ConversationEvent event(String session, String text) {
        return ConversationEvent.newBuilder().setEventId(session + "-1").setSessionId(session)
                .setTenant("t1").setRole("user").setEventType("conversation.step").setTimestamp(Instant.EPOCH)
                .setContent(text).build();
    }

    static PolicyDecision decide(List<Rule> rules, ConversationEvent event) {
        CompiledPolicy policy = CompiledPolicy.compile(new RulePack("t1", 1, rules, Instant.EPOCH, "test"), null);
        return PolicyAvro.decision(event, policy, PolicyEvaluator.evaluate(new EvaluationInput(event.getContent(),
                "user", null, null), policy), Instant.EPOCH, 1);
    }
}
