package io.soma.streams.topologies.policy;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.Severity;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingCaptureTest {
    private static final Rule CARD = new Rule("pii-card", "\\b\\d{4}( \\d{4}){3}\\b", MatchType.REGEX, 0.2,
            Severity.HIGH, Action.REDACT, Set.of(), Set.of(), null);

    @Test
    void shouldCaptureTheRedactedTextNeverWhatTheRuleMatched() {
        ConversationEvent event = DecisionLimitTest.event("s-1", "my card is 4111 1111 1111 1111, thanks");
        PolicyDecision decision = DecisionLimitTest.decide(List.of(CARD), event);
        assertThat(decision.getDecision()).isEqualTo("redact");

        ConversationEvent captured = TrainingCapture.of(event, decision, "s-1", new RecordHeaders());

        assertThat(captured.getContent()).isEqualTo("my card is [REDACTED:pii-card], thanks");
        assertThat(ConversationEvent.newBuilder(captured).setContent(event.getContent()).build()).isEqualTo(event);
    }

    @Test
    void shouldCaptureAnEventNoRuleRedactedAsItIs() {
        ConversationEvent event = DecisionLimitTest.event("s-1", "no card here");
        PolicyDecision decision = DecisionLimitTest.decide(List.of(CARD), event);

        assertThat(TrainingCapture.of(event, decision, "s-1", new RecordHeaders())).isSameAs(event);
    }

    /** A producer may send an event compressed, which the broker takes while the copy would not fit a record. */
    @Test
    void shouldNotCaptureAnAllowedEventTooLargeForARecord() {
        ConversationEvent event = ConversationEvent.newBuilder(DecisionLimitTest.event("s-1", "no card here"))
                .setMetadata(Map.of("notes", "n".repeat(1_000_000))).build();
        PolicyDecision decision = DecisionLimitTest.decide(List.of(CARD), event);
        assertThat(decision.getAllowed()).isTrue();

        assertThat(TrainingCapture.of(event, decision, "s-1", new RecordHeaders())).isNull();
    }

    @Test
    void shouldNotCaptureARedactedEventGrownTooLargeForARecord() {
        // each digit becomes [REDACTED:<a 200-character name>]: the decision, without the event's metadata, fits; the
        // event with its metadata and the redacted text does not, though it fitted with the digits
        Rule everyDigit = new Rule("digit-" + "x".repeat(194), "\\d", MatchType.REGEX, 0.1, Severity.LOW,
                Action.REDACT, Set.of(), Set.of(), null);
        ConversationEvent event = ConversationEvent.newBuilder(DecisionLimitTest.event("s-1", "7".repeat(3_000)))
                .setMetadata(Map.of("notes", "n".repeat(300_000))).build();
        PolicyDecision decision = DecisionLimitTest.decide(List.of(everyDigit), event);
        assertThat(decision.getDecision()).isEqualTo("redact");
        assertThat(DecisionLimit.bounded(decision, "s-1", new RecordHeaders())).isSameAs(decision);

        assertThat(TrainingCapture.of(event, decision, "s-1", new RecordHeaders())).isNull();
    }
}
