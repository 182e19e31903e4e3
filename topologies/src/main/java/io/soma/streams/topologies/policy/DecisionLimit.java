package io.soma.streams.topologies.policy;

import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.Violation;
import io.soma.streams.schemas.RecordBytes;
import io.soma.streams.schemas.Texts;
import io.soma.streams.topologies.policy.evaluation.Decision;
import io.soma.streams.topologies.policy.rules.Action;

import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.header.Headers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * How large a decision on {@code policy.decisions} may be. A decision can be far larger than its event: a redact rule
 * that matches every character of a 32,768-character text replaces each by {@code [REDACTED:<its name>]}, every
 * matching rule adds its pattern and an excerpt, and a pack may hold thousands of rules that all match. A decision over
 * the brokers' record limit (1 MB by default) fails its transaction on every retry and stalls the partition, every
 * tenant's events on it. So a decision larger than {@value #MAX_DECISION_BYTES} bytes (its Avro encoding, with the
 * record's key and headers) fails closed without the redacted text and the excerpts (review, or deny when a deny rule
 * matched; reason {@value #DECISION_TOO_LARGE}), and keeps only the violations that fit, deny rules first. Only a
 * decision whose key, headers and ids alone are too large is refused, which sends its event to the dead-letter topic.
 */
final class DecisionLimit {
    /** Under the brokers' default 1 MB record limit, with room for the record's own framing. */
    static final long MAX_DECISION_BYTES = 900 * 1024;
    static final String DECISION_TOO_LARGE = "decision_too_large";
    /** The wire format's magic byte and schema id before the Avro binary. */
    private static final int WIRE_PREFIX = 5;
    /** Avro's single-object header (marker and schema fingerprint) that {@code toByteBuffer} puts first. */
    private static final int SINGLE_OBJECT_HEADER = 10;
    /** An array's block counts: at most two varints of up to 10 bytes each, as the list is written in one block. */
    private static final int ARRAY_BLOCKS = 20;

    private DecisionLimit() {
    }

    /**
     * {@code decision} when it fits with the record's {@code key} and {@code headers} (the event's, which the
     * decision keeps), else its fail-closed form; throws when not even that form without any violation fits.
     */
    static PolicyDecision bounded(PolicyDecision decision, String key, Headers headers) {
        long framing = framing(key, headers);
        if (fits(decision, framing)) {
            return decision;
        }
        boolean denied = Decision.DENY.wire().equals(decision.getDecision())
                || decision.getViolations().stream().anyMatch(v -> Action.DENY.wire().equals(v.getAction()));
        PolicyDecision withoutViolations = PolicyDecision.newBuilder(decision)
                .setDecision((denied ? Decision.DENY : Decision.REVIEW).wire())
                .setAllowed(false)
                .setRedactedContent(null)
                .setViolations(List.of())
                .setReason(DECISION_TOO_LARGE)
                .build();
        long room = MAX_DECISION_BYTES - framing - avroBytes(withoutViolations) - ARRAY_BLOCKS;
        if (room < 0) {
            throw new IllegalArgumentException("the decision on event " + Texts.cut(decision.getEventId(), 200)
                    + " would be " + (MAX_DECISION_BYTES - room) + " bytes with its key and headers, even without "
                    + "its redacted text and violations, over " + MAX_DECISION_BYTES);
        }
        // the rules that explain a deny come first; then the decision's own order
        List<Violation> byAction = new ArrayList<>(decision.getViolations());
        byAction.sort(Comparator.comparing(v -> !Action.DENY.wire().equals(v.getAction())));
        List<Violation> kept = new ArrayList<>();
        for (Violation v : byAction) {
            Violation withoutExcerpt = Violation.newBuilder(v).setExcerpt(null).build();
            room -= avroBytes(withoutExcerpt);
            if (room < 0) {
                break;
            }
            kept.add(withoutExcerpt);
        }
        withoutViolations.setViolations(kept);
        return withoutViolations;
    }

    /**
     * The quick bound first ({@link #upperBound}), which every ordinary decision meets; the exact Avro size only when
     * it says the decision might not fit.
     */
    private static boolean fits(PolicyDecision d, long framing) {
        return framing + upperBound(d) <= MAX_DECISION_BYTES || framing + avroBytes(d) <= MAX_DECISION_BYTES;
    }

    /** The exact size of the decision's Avro binary encoding, as the serde writes it after the wire prefix. */
    static long avroBytes(PolicyDecision d) {
        return encodedSize(d::toByteBuffer);
    }

    private static long avroBytes(Violation v) {
        return encodedSize(v::toByteBuffer);
    }

    /**
     * Whether a record of the policy app with this value, which {@code encoding} writes, fits with its key and
     * headers: by a bound from its strings first, so that the usual small event is not encoded only to be measured.
     */
    static boolean fits(IndexedRecord value, SingleObjectEncoding encoding, String key, Headers headers) {
        long framing = framing(key, headers);
        return framing + upperBound(value) <= MAX_DECISION_BYTES
                || framing + encodedSize(encoding) <= MAX_DECISION_BYTES;
    }

    /**
     * An upper bound of a value's Avro binary size, read from the record itself so that no field is left out: 3 UTF-8
     * bytes per UTF-16 char, 16 per length or union index, 64 per other value and per record, map or array.
     */
    static long upperBound(Object value) {
        if (value instanceof CharSequence text) {
            return 3L * text.length() + 16;
        }
        if (value instanceof ByteBuffer bytes) {
            return bytes.remaining() + 16L;
        }
        long total = 64;
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                total += upperBound(e.getKey()) + upperBound(e.getValue());
            }
        } else if (value instanceof Collection<?> items) {
            for (Object item : items) {
                total += upperBound(item);
            }
        } else if (value instanceof IndexedRecord record) {
            for (int i = 0; i < record.getSchema().getFields().size(); i++) {
                total += upperBound(record.get(i));
            }
        }
        return total;
    }

    private static long framing(String key, Headers headers) {
        return utf8Bytes(key == null ? "" : key) + RecordBytes.headers(headers) + WIRE_PREFIX;
    }

    interface SingleObjectEncoding {
        ByteBuffer encode() throws IOException;
    }

    private static long encodedSize(SingleObjectEncoding encoding) {
        try {
            return encoding.encode().remaining() - SINGLE_OBJECT_HEADER;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a policy decision", e);
        }
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
