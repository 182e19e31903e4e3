package io.soma.streams.schemas.serde;

/** The payload is shorter than the 5-byte header (magic byte + schema id). */
public class TruncatedPayloadException extends AvroSerdeException {
    public TruncatedPayloadException(String topic, int length) {
        super("record on " + topic + " has " + length + " bytes, fewer than the 5-byte header (magic byte, schema id)", null);
    }
}
