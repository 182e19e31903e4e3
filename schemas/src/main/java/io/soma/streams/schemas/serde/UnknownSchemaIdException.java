package io.soma.streams.schemas.serde;

/** The payload names a schema id the registry does not know. */
public class UnknownSchemaIdException extends AvroSerdeException {
    private final int schemaId;

    public UnknownSchemaIdException(String topic, int schemaId, SchemaRegistryException cause) {
        super("record on " + topic + " names schema id " + schemaId + ", which the registry does not know", cause);
        this.schemaId = schemaId;
    }

    public int schemaId() {
        return schemaId;
    }
}
