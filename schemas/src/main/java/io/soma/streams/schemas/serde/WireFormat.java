package io.soma.streams.schemas.serde;

import java.nio.ByteBuffer;

/**
 * The schema-registry wire format: magic byte 0, the 4-byte big-endian schema id, then the Avro binary body.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    public static byte[] header(int schemaId) {
        return ByteBuffer.allocate(HEADER_SIZE).put(MAGIC_BYTE).putInt(schemaId).array();
    }

    /** The schema id of a framed payload, after checking its length and magic byte. */
    public static int schemaId(String topic, byte[] payload) {
        if (payload.length < HEADER_SIZE) {
            throw new TruncatedPayloadException(topic, payload.length);
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new BadMagicByteException(topic, payload[0]);
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }
}
