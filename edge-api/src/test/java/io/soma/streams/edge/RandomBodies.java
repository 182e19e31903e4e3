package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Request bodies for contract tests, from a seeded {@link Random}: JSON that fits a documented request schema
 * (random values of the right types), and bodies that do not (malformed JSON, wrong types, random bytes).
 */
public final class RandomBodies {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Letters plus what breaks naive code: quotes, backslashes, control characters, non-BMP and RTL text. */
    private static final String ALPHABET = "abcXYZ019-_.:/ \"'\\\t\n\u0000\u00e9\u4e2d\u202e{}[]%$@";

    private final Random random;
    private final OpenApiDocument doc;

    public RandomBodies(Random random, OpenApiDocument doc) {
        this.random = random;
        this.doc = doc;
    }

    /** A JSON value of the schema's shape with random content; optional properties are present at random. */
    public JsonNode fitting(JsonNode schemaOrRef) {
        JsonNode schema = doc.resolve(schemaOrRef);
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            return values.get(random.nextInt(values.size()));
        }
        return switch (schema.path("type").asText("object")) {
            case "string" -> NODES.textNode("date-time".equals(schema.path("format").asText())
                    ? Instant.ofEpochSecond(random.nextInt(2_000_000_000)).toString() : text());
            case "integer" -> NODES.numberNode(random.nextBoolean() ? random.nextInt(100_000) : random.nextLong());
            case "number" -> NODES.numberNode(random.nextDouble() * 1000);
            case "boolean" -> NODES.booleanNode(random.nextBoolean());
            case "array" -> {
                ArrayNode array = NODES.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.add(fitting(schema.path("items")));
                }
                yield array;
            }
            default -> object(schema);
        };
    }

    /** Bodies that are not a JSON object, or give a required property a wrong type, by name: each is a 4xx. */
    public Map<String, byte[]> malformed(JsonNode schemaOrRef) {
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        bodies.put("empty", new byte[0]);
        bodies.put("whitespace", utf8(" \n\t "));
        bodies.put("truncated JSON", utf8("{\"tenant\": "));
        bodies.put("trailing garbage", utf8("{} }{"));
        bodies.put("JSON array", utf8("[1, 2, 3]"));
        bodies.put("JSON string", utf8("\"text\""));
        bodies.put("JSON number", utf8("42"));
        bodies.put("JSON null", utf8("null"));
        bodies.put("single quotes", utf8("{'tenant': 'x'}"));
        bodies.put("nested 5000 deep", utf8("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}"));
        bodies.put("number out of range", utf8("{\"ttl_seconds\": 1e400, \"tenant\": 99999999999999999999999999}"));
        bodies.put("random bytes (64)", bytes(64));
        bodies.put("random bytes (4096)", bytes(4096));
        bodies.put("invalid UTF-8", new byte[]{'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'});
        bodies.putAll(mistyped(schemaOrRef, true));
        return bodies;
    }

    /** Fitting bodies but for one optional property of a wrong JSON type, by name. */
    public Map<String, byte[]> mistypedOptional(JsonNode schemaOrRef) {
        return mistyped(schemaOrRef, false);
    }

    private Map<String, byte[]> mistyped(JsonNode schemaOrRef, boolean requiredProperties) {
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        JsonNode schema = schemaOrRef == null ? NODES.objectNode() : doc.resolve(schemaOrRef);
        List<String> required = requiredOf(schema);
        schema.path("properties").fields().forEachRemaining(property -> {
            if (required.contains(property.getKey()) == requiredProperties) {
                ObjectNode body = (ObjectNode) fitting(schema);
                body.set(property.getKey(), wrongTypeFor(doc.resolve(property.getValue())));
                bodies.put("wrong type for " + property.getKey(), utf8(body.toString()));
            }
        });
        return bodies;
    }

    /** Random bytes of the given length. */
    public byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private ObjectNode object(JsonNode schema) {
        ObjectNode object = NODES.objectNode();
        List<String> required = requiredOf(schema);
        schema.path("properties").fields().forEachRemaining(property -> {
            if (required.contains(property.getKey()) || random.nextBoolean()) {
                object.set(property.getKey(), fitting(property.getValue()));
            }
        });
        JsonNode additional = schema.path("additionalProperties");
        if (additional.isObject() && !schema.has("properties")) {
            for (int i = random.nextInt(3); i > 0; i--) {
                object.set(text(), fitting(additional));
            }
        }
        return object;
    }

    private static List<String> requiredOf(JsonNode schema) {
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        return required;
    }

    private JsonNode wrongTypeFor(JsonNode schema) {
        return switch (schema.path("type").asText("object")) {
            case "string" -> random.nextBoolean() ? NODES.numberNode(7) : NODES.objectNode().put("nested", "x");
            case "integer", "number" -> NODES.textNode("seven");
            case "boolean" -> NODES.textNode("yes");
            case "array" -> NODES.textNode("not-an-array");
            default -> NODES.arrayNode().add(1);
        };
    }

    private String text() {
        StringBuilder text = new StringBuilder();
        for (int i = 1 + random.nextInt(24); i > 0; i--) {
            text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return text.toString();
    }

    public static byte[] json(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
