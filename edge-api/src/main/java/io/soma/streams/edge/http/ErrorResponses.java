package io.soma.streams.edge.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.validation.ValidationError;
import io.javalin.validation.ValidationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every failure leaves as JSON {@code {error, message, details}} with its status; never a stack trace. */
public final class ErrorResponses {
    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

    private ErrorResponses() {
    }

    public static void install(Javalin app) {
        app.exception(ApiException.class, (e, ctx) -> write(ctx, e.status(), e.error(), e.getMessage(), e.details()));
        // Javalin's validators (ctx.queryParamAsClass ...) would otherwise answer with their own body shape
        app.exception(ValidationException.class, (e, ctx) -> {
            Map<String, List<String>> fields = new LinkedHashMap<>();
            e.getErrors().forEach((field, errors) ->
                    fields.put(field, errors.stream().map(ValidationError::getMessage).toList()));
            write(ctx, 400, "bad_request", "invalid " + String.join(", ", fields.keySet()), Map.of("fields", fields));
        });
        app.exception(HttpResponseException.class, (e, ctx) ->
                write(ctx, e.getStatus(), errorName(e.getStatus()), e.getMessage(), Map.copyOf(e.getDetails())));
        app.exception(Exception.class, (e, ctx) -> {
            log.error("unhandled error on {} {}", ctx.method(), ctx.path(), e);
            write(ctx, 500, "internal", "internal error; see the server log", Map.of());
        });
        // Javalin's own 404/405/413 etc. also become JSON
        app.error(404, ctx -> {
            if (!isJson(ctx)) {
                write(ctx, 404, "not_found", "no route for " + ctx.method() + " " + ctx.path(), Map.of());
            }
        });
    }

    public static void write(Context ctx, int status, String error, String message, Map<String, ?> details) {
        ctx.status(status).json(body(error, message, details));
    }

    /** The error body, for writers outside a Javalin handler ({@link BodyLimitFilter}). */
    public static Map<String, Object> body(String error, String message, Map<String, ?> details) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("message", message);
        body.put("details", details);
        return body;
    }

    private static boolean isJson(Context ctx) {
        String type = ctx.res().getContentType();
        return type != null && type.startsWith("application/json");
    }

    public static String errorName(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 409 -> "conflict";
            case 412 -> "precondition_failed";
            case 413 -> "payload_too_large";
            case 422 -> "invalid";
            case 428 -> "precondition_required";
            case 429 -> "rate_limited";
            case 503 -> "not_ready";
            case 504 -> "timeout";
            default -> "http_" + status;
        };
    }
}
