package io.soma.streams.topologies.policy;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.topologies.policy.evaluation.Decision;
import org.apache.kafka.common.header.Headers;

/** What the policy app copies to {@code training.capture}, the fine-tuning export, of an event it allowed. */
final class TrainingCapture {
    private TrainingCapture() {
    }

    /**
     * The allowed event as training may keep it. After a redact decision, its redacted text replaces the original:
     * no output carries what a redact rule matched, and an export least of all. Null when it may not be kept: a
     * redact decision without its text, or a redacted event grown too large for one record.
     */
    static ConversationEvent of(ConversationEvent event, PolicyDecision decision, String key, Headers headers) {
        if (!Decision.REDACT.wire().equals(decision.getDecision())) {
            return event;
        }
        if (decision.getRedactedContent() == null) {
            return null;
        }
        ConversationEvent redacted = ConversationEvent.newBuilder(event)
                .setContent(decision.getRedactedContent()).build();
        return DecisionLimit.fits(redacted::toByteBuffer, key, headers) ? redacted : null;
    }
}
