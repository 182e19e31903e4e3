package io.soma.streams.edge.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.javalin.http.Context;
import io.soma.streams.schemas.Texts;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Reading request bodies: malformed JSON and missing or mistyped fields are 400s that say which. */
public final class JsonBody {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PARSED_ATTRIBUTE = "soma.body";

    private JsonBody() {
    }

    /**
     * The body as a JSON object; an empty body is an empty object. Parsed once a request: the tenant guard, the
     * {@link BodyFields} check and the handler read the same object.
     */
    public static JsonNode object(Context ctx) {
        JsonNode parsed = ctx.attribute(PARSED_ATTRIBUTE);
        if (parsed == null) {
            parsed = parse(text(ctx));
            ctx.attribute(PARSED_ATTRIBUTE, parsed);
        }
        return parsed;
    }

    /**
     * The body as text: JSON is UTF-8 (RFC 8259), whatever charset the Content-Type names; Javalin's own
     * {@code ctx.body()} decodes with that charset, and a quoted or unknown one threw (a 500, before authentication).
     */
    public static String text(Context ctx) {
        return new String(ctx.bodyAsBytes(), StandardCharsets.UTF_8);
    }

    private static JsonNode parse(String raw) {
        if (raw.isBlank()) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            JsonNode body = JSON.readTree(raw);
            if (body == null || !body.isObject()) {
                throw ApiException.badRequest("the body must be a JSON object");
            }
            return body;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * A non-blank string field, or null when absent, JSON null or blank. Any other type is a 400, not ignored; so is
     * a NUL character, which PostgreSQL text cannot hold: it would stall the audit archive downstream.
     */
    public static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiException.badRequest(field + " must be a string", field);
        }
        if (value.asText().indexOf('\u0000') >= 0) {
            throw ApiException.badRequest(field + " must not contain NUL (U+0000) characters", field);
        }
        return value.asText().isBlank() ? null : value.asText();
    }

    /** {@code value}, or a 422 naming the field when it is longer than the app would accept. */
    public static String withinLimit(String value, String field, int maxChars) {
        if (Texts.longerThan(value, maxChars)) {
            throw ApiException.unprocessable(field + " must be at most " + maxChars + " characters, got "
                    + value.length(), Map.of("field", field));
        }
        return value;
    }

    public static String required(JsonNode body, String field) {
        String value = text(body, field);
        if (value == null) {
            throw ApiException.badRequest(field + " is required (a non-empty string)", field);
        }
        return value;
    }

    /** An optional whole number; present but not a whole number is a 400. */
    public static Long optionalLong(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber()) {
            throw ApiException.badRequest(field + " must be a whole number", field);
        }
        return value.asLong();
    }

    /** An optional number; present but not a number is a 400. */
    public static Double optionalNumber(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw ApiException.badRequest(field + " must be a number", field);
        }
        return value.asDouble();
    }

    /** An optional true or false, {@code absent} when absent or JSON null; anything else is a 400. */
    public static boolean optionalBoolean(JsonNode body, String field, boolean absent) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw ApiException.badRequest(field + " must be true or false", field);
        }
        return value.asBoolean();
    }
}
