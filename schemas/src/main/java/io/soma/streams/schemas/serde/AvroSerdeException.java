package io.soma.streams.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/** Base of the serde's errors, so a handler can tell a bad record from other failures. */
public class AvroSerdeException extends SerializationException {
    public AvroSerdeException(String message, Throwable cause) {
        super(message, cause);
    }
}
