package io.soma.streams.schemas.serde;

/** Some schemas could not be registered because they break their subject's compatibility rule. */
public class SchemaRegistrationException extends RuntimeException {
    public SchemaRegistrationException(String message) {
        super(message);
    }
}
