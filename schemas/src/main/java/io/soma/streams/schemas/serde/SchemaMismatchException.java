package io.soma.streams.schemas.serde;

/** The writer schema of a record cannot be resolved to the reader's schema (or there is no reader class for it). */
public class SchemaMismatchException extends AvroSerdeException {
    public SchemaMismatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
