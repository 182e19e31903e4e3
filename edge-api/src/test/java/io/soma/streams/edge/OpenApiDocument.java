package io.soma.streams.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The operations of {@code docs/openapi.yaml}, read with their security, capabilities and answers. */
public final class OpenApiDocument {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    /**
     * One documented method and path.
     *
     * @param publicRoute   {@code security: []}, or a list that admits an anonymous caller ({@code {}})
     * @param capabilities  {@code x-soma-capabilities}
     * @param tenantScope   {@code x-soma-tenant-scope}, null when absent
     * @param responses     status code → response object with its {@code $ref} resolved
     * @param requestSchema the JSON request body's schema, refs resolved lazily through {@link #resolve}; null if none
     */
    public record Operation(String method, String path, boolean planned, boolean publicRoute, Set<String> capabilities,
                            String tenantScope, Map<String, JsonNode> responses, JsonNode requestSchema) {
        public String key() {
            return method + " " + path;
        }
    }

    private final JsonNode root;

    private OpenApiDocument(JsonNode root) {
        this.root = root;
    }

    /** {@code docs/openapi.yaml} of the project (tests run in the module directory). */
    public static OpenApiDocument ofProject() {
        return load(Path.of(System.getProperty("soma.openapi", "../docs/openapi.yaml")));
    }

    public static OpenApiDocument load(Path yaml) {
        try {
            return new OpenApiDocument(new ObjectMapper(new YAMLFactory()).readTree(Files.readString(yaml)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + yaml, e);
        }
    }

    public List<Operation> operations() {
        List<Operation> operations = new ArrayList<>();
        root.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (METHODS.contains(op.getKey())) {
                operations.add(operation(op.getKey().toUpperCase(Locale.ROOT), path.getKey(), op.getValue()));
            }
        }));
        return operations;
    }

    public Optional<Operation> operation(String method, String path) {
        return operations().stream().filter(o -> o.method().equals(method) && o.path().equals(path)).findFirst();
    }

    /** The node a {@code $ref} points to (local refs only), or the node itself. */
    public JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        if (ref == null) {
            return node;
        }
        String pointer = ref.asText();
        if (!pointer.startsWith("#/")) {
            throw new IllegalArgumentException("only local refs are supported: " + pointer);
        }
        JsonNode target = root.at(pointer.substring(1));
        if (target.isMissingNode()) {
            throw new IllegalArgumentException("dangling $ref " + pointer);
        }
        return resolve(target);
    }

    /** Every {@code $ref} in the document, for checking that none dangles. */
    public List<String> refs() {
        List<String> refs = new ArrayList<>();
        collectRefs(root, refs);
        return refs;
    }

    private Operation operation(String method, String path, JsonNode op) {
        JsonNode security = op.has("security") ? op.get("security") : root.path("security");
        boolean anonymous = security.isArray() && (security.isEmpty() || hasEmptyRequirement(security));
        Set<String> capabilities = new TreeSet<>();
        op.path("x-soma-capabilities").forEach(c -> capabilities.add(c.asText()));
        Map<String, JsonNode> responses = new java.util.LinkedHashMap<>();
        op.path("responses").fields().forEachRemaining(r -> responses.put(r.getKey(), resolve(r.getValue())));
        JsonNode schema = op.path("requestBody").path("content").path("application/json").get("schema");
        return new Operation(method, path, op.path("x-soma-planned").asBoolean(false), anonymous, capabilities,
                op.hasNonNull("x-soma-tenant-scope") ? op.get("x-soma-tenant-scope").asText() : null, responses, schema);
    }

    private static boolean hasEmptyRequirement(JsonNode security) {
        for (JsonNode requirement : security) {
            if (requirement.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.has("$ref")) {
            refs.add(node.get("$ref").asText());
        }
        for (Iterator<JsonNode> children = node.elements(); children.hasNext(); ) {
            collectRefs(children.next(), refs);
        }
    }
}
