package io.soma.streams.schemas.serde;

/** The payload does not start with the wire format's magic byte 0: it was not written by a registry serde. */
public class BadMagicByteException extends AvroSerdeException {
    public BadMagicByteException(String topic, byte found) {
        super("record on " + topic + " starts with byte " + (found & 0xff) + ", not the magic byte 0 of the "
                + "schema-registry wire format", null);
    }
}
