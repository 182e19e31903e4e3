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
     * redact decision without its text, or an event (redacted or not) too large for one record, which would fail the
     * transaction on every retry and stall the partition.
     */
    static ConversationEvent of(ConversationEvent event, PolicyDecision decision, String key, Headers headers) {
        if (!Decision.REDACT.wire().equals(decision.getDecision())) {
            // the broker took it compressed, and nothing bounds its metadata: as it is, it may not fit a record
            return DecisionLimit.fits(event, event::toByteBuffer, key, headers) ? event : null;
        }
        if (decision.getRedactedContent() == null) {
            return null;
        }
        ConversationEvent redacted = ConversationEvent.newBuilder(event)
                .setContent(decision.getRedactedContent()).build();
        return DecisionLimit.fits(redacted, redacted::toByteBuffer, key, headers) ? redacted : null;
    }
}
