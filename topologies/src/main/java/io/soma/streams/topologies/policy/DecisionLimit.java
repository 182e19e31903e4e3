package io.soma.streams.topologies.policy;

import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.Violation;
import io.soma.streams.schemas.RecordBytes;
import io.soma.streams.schemas.Texts;
import io.soma.streams.topologies.policy.evaluation.Decision;
import io.soma.streams.topologies.policy.rules.Action;

import org.apache.kafka.common.header.Headers;

import java.util.function.ToLongFunction;

/**
 * How large a decision on {@code policy.decisions} may be. A decision can be far larger than its event: a redact rule
 * that matches every character of a 32,768-character text replaces each by {@code [REDACTED:<its name>]}, and every
 * matching rule adds its pattern and an excerpt. A decision over the brokers' record limit (1 MB by default) fails its
 * transaction on every retry and stalls the partition, every tenant's events on it. So a decision larger than
 * {@value #MAX_DECISION_BYTES} bytes of text fails closed without the redacted text and the excerpts (review, or deny
 * when a deny rule matched; reason {@value #DECISION_TOO_LARGE}), and one still too large is refused, which sends its
 * event to the dead-letter topic.
 */
final class DecisionLimit {
    /** Under the brokers' default 1 MB record limit, with room for the key, headers and framing. */
    static final long MAX_DECISION_BYTES = 900 * 1024;
    static final String DECISION_TOO_LARGE = "decision_too_large";

    private DecisionLimit() {
    }

    /**
     * {@code decision} when it fits with the record's {@code key} and {@code headers} (the event's, which the
     * decision keeps), else its fail-closed form; throws when even that does not fit.
     */
    static PolicyDecision bounded(PolicyDecision decision, String key, Headers headers) {
        long framing = utf8Bytes(key == null ? "" : key) + RecordBytes.headers(headers);
        if (fits(decision, framing)) {
            return decision;
        }
        boolean denied = Decision.DENY.wire().equals(decision.getDecision())
                || decision.getViolations().stream().anyMatch(v -> Action.DENY.wire().equals(v.getAction()));
        PolicyDecision failedClosed = PolicyDecision.newBuilder(decision)
                .setDecision((denied ? Decision.DENY : Decision.REVIEW).wire())
                .setAllowed(false)
                .setRedactedContent(null)
                .setViolations(decision.getViolations().stream()
                        .map(v -> Violation.newBuilder(v).setExcerpt(null).build()).toList())
                .setReason(DECISION_TOO_LARGE)
                .build();
        if (!fits(failedClosed, framing)) {
            throw new IllegalArgumentException("the decision on event " + Texts.cut(decision.getEventId(), 200) + " would be "
                    + (framing + bytes(failedClosed, DecisionLimit::utf8Bytes)) + " bytes with its key and headers, "
                    + "even without its redacted text and excerpts, over " + MAX_DECISION_BYTES);
        }
        return failedClosed;
    }

    /** Counted exactly only when the quick bound (3 UTF-8 bytes per UTF-16 char) says it might not fit. */
    private static boolean fits(PolicyDecision d, long framing) {
        return framing + bytes(d, text -> 3L * text.length()) <= MAX_DECISION_BYTES
                || framing + bytes(d, DecisionLimit::utf8Bytes) <= MAX_DECISION_BYTES;
    }

    /**
     * The value's size from its text, each string measured by {@code size}, and 64 bytes per field for numbers and
     * framing.
     */
    static long bytes(PolicyDecision d, ToLongFunction<CharSequence> size) {
        ToLongFunction<CharSequence> orZero = text -> text == null ? 0 : size.applyAsLong(text);
        long total = orZero.applyAsLong(d.getSessionId()) + orZero.applyAsLong(d.getDecisionId())
                + orZero.applyAsLong(d.getEventId()) + orZero.applyAsLong(d.getTenant())
                + orZero.applyAsLong(d.getUser()) + orZero.applyAsLong(d.getDecision())
                + orZero.applyAsLong(d.getSeverity()) + orZero.applyAsLong(d.getRedactedContent())
                + orZero.applyAsLong(d.getConstitutionHash()) + orZero.applyAsLong(d.getConstitutionVersion())
                + orZero.applyAsLong(d.getReason()) + 64 * 16;
        for (Violation v : d.getViolations()) {
            total += orZero.applyAsLong(v.getName()) + orZero.applyAsLong(v.getPattern())
                    + orZero.applyAsLong(v.getSeverity()) + orZero.applyAsLong(v.getAction())
                    + orZero.applyAsLong(v.getDescription()) + orZero.applyAsLong(v.getExcerpt()) + 64 * 7;
        }
        return total;
    }

    /** UTF-8 length without encoding: a surrogate pair is two chars of 2 bytes each, 4 in all. */
    static long utf8Bytes(CharSequence text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }
}
