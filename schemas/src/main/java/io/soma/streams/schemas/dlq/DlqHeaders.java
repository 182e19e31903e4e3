package io.soma.streams.schemas.dlq;

import io.soma.streams.schemas.Texts;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The headers every app puts on what it sends to {@link io.soma.streams.schemas.Topics#DEAD_LETTER} (values are
 * UTF-8 strings), so operators can tell why a record was set aside and where it came from. The record keeps its
 * original key and value bytes, unless it was too large for that or they were released ({@link #OMITTED},
 * {@link DeadLetterLimit}).
 */
public final class DlqHeaders {
    public static final String REASON = "dlq.reason";
    public static final String EXCEPTION = "dlq.exception";
    public static final String SOURCE_TOPIC = "dlq.source.topic";
    public static final String SOURCE_PARTITION = "dlq.source.partition";
    public static final String SOURCE_OFFSET = "dlq.source.offset";
    public static final String APP = "dlq.app";
    /**
     * Set when the dead letter is without the source record's key and value, too large to copy or no longer held by
     * Kafka Streams: what was left out and why (the record stays at the source offset).
     */
    public static final String OMITTED = "dlq.omitted";
    /** The headers {@link #addTo} writes. */
    static final List<String> WRITTEN = List.of(REASON, EXCEPTION, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET, APP);
    /** A reason longer than this is cut: an exception's message may quote the record it failed on. */
    static final int MAX_REASON_CHARS = 2000;

    private DlqHeaders() {
    }

    /**
     * Adds the dead-letter headers to {@code headers} (typically a copy of the source record's), replacing any
     * earlier ones of the same name.
     *
     * @param exceptionClass class of the failure, or null when the record was rejected without an exception
     */
    public static Headers addTo(Headers headers, String reason, String exceptionClass, String sourceTopic,
                                int sourcePartition, long sourceOffset, String applicationId) {
        put(headers, REASON, Texts.cut(reason, MAX_REASON_CHARS));
        put(headers, EXCEPTION, exceptionClass);
        put(headers, SOURCE_TOPIC, sourceTopic);
        put(headers, SOURCE_PARTITION, Integer.toString(sourcePartition));
        put(headers, SOURCE_OFFSET, Long.toString(sourceOffset));
        put(headers, APP, applicationId);
        return headers;
    }

    /** A copy of {@code source} headers with the dead-letter headers added. */
    public static Headers of(Headers source, String reason, String exceptionClass, String sourceTopic,
                             int sourcePartition, long sourceOffset, String applicationId) {
        return addTo(source == null ? new RecordHeaders() : new RecordHeaders(source.toArray()),
                reason, exceptionClass, sourceTopic, sourcePartition, sourceOffset, applicationId);
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
