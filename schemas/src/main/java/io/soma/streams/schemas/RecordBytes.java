package io.soma.streams.schemas;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;

/** Sizes of a Kafka record's parts as the producer and the brokers count them (record format v2), at their widest. */
public final class RecordBytes {
    /** A header's two length prefixes as varints. */
    private static final int HEADER_OVERHEAD_BYTES = 5 + 5;

    private RecordBytes() {
    }

    /** Each header's name in UTF-8 and its value, with its two length prefixes (a null value costs one byte). */
    public static long headers(Headers headers) {
        long bytes = 0;
        for (Header h : headers) {
            bytes += HEADER_OVERHEAD_BYTES + h.key().getBytes(StandardCharsets.UTF_8).length
                    + (h.value() == null ? 0 : h.value().length);
        }
        return bytes;
    }
}
