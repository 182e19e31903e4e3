package io.soma.streams.schemas.serde;

/** The Avro bytes after the header do not decode with the writer schema the header names. */
public class CorruptPayloadException extends AvroSerdeException {
    public CorruptPayloadException(String topic, int schemaId, String problem, Throwable cause) {
        super("record on " + topic + " does not decode with its writer schema id " + schemaId + ": " + problem, cause);
    }
}
