package io.soma.streams.schemas.dlq;

import io.soma.streams.schemas.RecordBytes;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;

/**
 * How large a dead letter may be. A dead letter is its source record plus the {@link DlqHeaders}, so a record at the
 * brokers' limit (1 MB by default) would make one over it, and a record compressed under the limit can be many times
 * that once read. A dead letter that cannot be written fails its transaction on every retry and stalls the app, so:
 * the dead-letter topic takes {@value #MAX_RECORD_BYTES} bytes a record (the provisioner sets it, the apps' producers
 * may send that much), and a dead letter larger than that still goes without the source's key, value and headers,
 * which stay at the source offset its headers name.
 */
public final class DeadLetterLimit {
    /** The dead-letter topic's {@code max.message.bytes} and the apps' producers' {@code max.request.size}. */
    public static final int MAX_RECORD_BYTES = 2 * 1024 * 1024;
    /** Room left for the record's framing and for compression that does not compress. */
    static final int MAX_COPY_BYTES = MAX_RECORD_BYTES - 64 * 1024;
    private static final int BATCH_OVERHEAD_BYTES = 61;
    /** attributes, timestamp and offset deltas, key and value lengths, header count and record length, as varints. */
    private static final int RECORD_OVERHEAD_BYTES = 1 + 10 + 5 + 5 + 5 + 5 + 5;

    private DeadLetterLimit() {
    }

    /** A dead letter as it will be written: its key, value and headers. */
    public record Parts(byte[] key, byte[] value, Headers headers) {
    }

    /**
     * The dead letter of {@code key} and {@code value} with {@code headers} (the source's plus the dead-letter ones):
     * whole when it fits, else only the dead-letter headers and {@link DlqHeaders#OMITTED} saying what was left out.
     */
    public static Parts fitted(byte[] key, byte[] value, Headers headers) {
        int keyBytes = key == null ? 0 : key.length;
        return fits(keyBytes, value, headers) ? new Parts(key, value, headers)
                : new Parts(null, null, omitted(keyBytes, value, headers));
    }

    /** The same for a dead letter a topology sends itself, with a string key. */
    public static Record<String, byte[]> fitted(Record<String, byte[]> deadLetter) {
        int keyBytes = deadLetter.key() == null ? 0 : deadLetter.key().getBytes(StandardCharsets.UTF_8).length;
        if (fits(keyBytes, deadLetter.value(), deadLetter.headers())) {
            return deadLetter;
        }
        return new Record<>(null, null, deadLetter.timestamp(),
                omitted(keyBytes, deadLetter.value(), deadLetter.headers()));
    }

    private static boolean fits(int keyBytes, byte[] value, Headers headers) {
        return recordBytesBound(keyBytes, value, headers) <= MAX_COPY_BYTES;
    }

    /**
     * An upper bound of the record's size as the producer and the brokers count it (record format v2): the batch
     * header, the record's varint framing at its widest, and each header's two length prefixes (a null value is one).
     */
    static long recordBytesBound(int keyBytes, byte[] value, Headers headers) {
        return BATCH_OVERHEAD_BYTES + RECORD_OVERHEAD_BYTES + keyBytes + length(value) + RecordBytes.headers(headers);
    }

    /** The dead-letter headers {@link DlqHeaders} writes, and what was left out; the source's are dropped. */
    private static Headers omitted(int keyBytes, byte[] value, Headers headers) {
        Headers kept = new RecordHeaders();
        for (String name : DlqHeaders.WRITTEN) {
            Header h = headers.lastHeader(name);
            if (h != null) {
                kept.add(h);
            }
        }
        String what = "key " + keyBytes + " bytes, value " + length(value) + " bytes, record with its headers up to "
                + recordBytesBound(keyBytes, value, headers) + " bytes: over " + MAX_COPY_BYTES
                + ", read it at the source offset";
        return kept.add(DlqHeaders.OMITTED, what.getBytes(StandardCharsets.UTF_8));
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
