package io.soma.streams.edge.http;

import java.util.Map;

/** A request failure with its HTTP status; rendered as {@code {error, message, details}}. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String error;
    private final Map<String, Object> details;

    public ApiException(int status, String error, String message, Map<String, Object> details) {
        super(message);
        this.status = status;
        this.error = error;
        this.details = details;
    }

    public ApiException(int status, String error, String message) {
        this(status, error, message, Map.of());
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    /** A 400 about one field of the body, named in {@code details.field} as a 422 names it. */
    public static ApiException badRequest(String message, String field) {
        return new ApiException(400, "bad_request", message, Map.of("field", field));
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    public static ApiException unprocessable(String message, Map<String, Object> details) {
        return new ApiException(422, "invalid", message, details);
    }

    public static ApiException notReady(String message) {
        return new ApiException(503, "not_ready", message);
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public Map<String, Object> details() {
        return details;
    }
}
