package io.soma.streams.schemas.serde;

/**
 * A schema-registry call that failed: the HTTP status (or {@link #NO_RESPONSE} when the registry was not
 * reached) and the Confluent {@code error_code} and {@code message} of the body. Decide on the status, not the
 * error code: registries differ there (Apicurio answers an incompatible schema with 409 and error_code 0).
 */
public class SchemaRegistryException extends RuntimeException {
    public static final int NO_RESPONSE = -1;

    private final int status;
    private final int errorCode;
    private final String registryMessage;

    public SchemaRegistryException(String request, int status, int errorCode, String registryMessage, Throwable cause) {
        super(describe(request, status, errorCode, registryMessage), cause);
        this.status = status;
        this.errorCode = errorCode;
        this.registryMessage = registryMessage;
    }

    private static String describe(String request, int status, int errorCode, String registryMessage) {
        return status == NO_RESPONSE
                ? "schema registry unreachable for " + request + ": " + registryMessage
                : "schema registry answered " + status + " (error_code " + errorCode + ") to " + request + ": " + registryMessage;
    }

    /** The HTTP status, or {@link #NO_RESPONSE}. */
    public int status() {
        return status;
    }

    /** The Confluent error_code of the body, 0 when there was none. */
    public int errorCode() {
        return errorCode;
    }

    public String registryMessage() {
        return registryMessage;
    }

    /** Unknown subject, version or schema id. */
    public boolean isNotFound() {
        return status == 404;
    }

    /** The schema breaks the subject's compatibility rule. */
    public boolean isIncompatible() {
        return status == 409;
    }

    /**
     * 409: the request conflicts with what the registry holds. An incompatible schema, or with Apicurio also a
     * subject or rule that another client created a moment before.
     */
    public boolean isConflict() {
        return status == 409;
    }

    /** 5xx: the registry answered but failed. */
    public boolean isServerError() {
        return status >= 500;
    }

    /** Worth retrying later: the registry was unreachable, overloaded or failing, not refusing the request. */
    public boolean isTransient() {
        return status == NO_RESPONSE || status == 408 || status == 429 || isServerError();
    }

    /**
     * 401: the registry does not accept this client's credentials, whatever it asks. (A 403 is not this: registries
     * that authorize per subject answer it for a schema id of a subject the client may not read, which is the
     * record's doing, and such a record must not hold up the others.)
     */
    public boolean refusesClient() {
        return status == 401;
    }

    /**
     * Whether {@code failure} or one of its causes is a registry failure that is not the record's fault: the registry
     * {@linkplain #isTransient unreachable or failing}, or {@linkplain #refusesClient refusing this client's
     * credentials} (expired or rotated, which an operator mends). Reading the record again later may succeed; a
     * dead-lettered or skipped good record would be lost to what reads it.
     */
    public static boolean unavailableIn(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SchemaRegistryException registry
                    && (registry.isTransient() || registry.refusesClient())) {
                return true;
            }
        }
        return false;
    }
}
