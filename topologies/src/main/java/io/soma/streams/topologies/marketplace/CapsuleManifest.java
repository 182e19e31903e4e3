package io.soma.streams.topologies.marketplace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a publisher says a capsule is, field for field as in its MCP registry entry: nothing is normalised (an empty
 * version stays empty, an absent field stays null), because the attestation covers exactly what was said and the
 * compliance checks judge exactly that.
 */
public record CapsuleManifest(String name, String description, String repositoryUrl, String repositorySource,
                              String version, List<CapsulePackage> packages) {
    public CapsuleManifest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        packages = List.copyOf(packages);
    }

    public record CapsulePackage(String registry, String name, String version, List<PackageArgument> arguments,
                                 List<EnvironmentVariable> environmentVariables) {
        public CapsulePackage {
            arguments = List.copyOf(arguments);
            environmentVariables = List.copyOf(environmentVariables);
        }
    }

    public record PackageArgument(String type, String name, String value, String defaultValue, String valueHint,
                                  String description, Boolean required) {
    }

    public record EnvironmentVariable(String name, String description) {
        public EnvironmentVariable {
            Objects.requireNonNull(name, "name");
        }
    }

    /** The manifest as JSON, under the Avro field names; what {@link CapsuleEnvelope} signs. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("name", name);
        json.put("description", description);
        json.put("repository_url", repositoryUrl);
        json.put("repository_source", repositorySource);
        json.put("version", version);
        ArrayNode packageNodes = json.putArray("packages");
        for (CapsulePackage p : packages) {
            ObjectNode packageNode = packageNodes.addObject();
            packageNode.put("registry", p.registry());
            packageNode.put("name", p.name());
            packageNode.put("version", p.version());
            ArrayNode argumentNodes = packageNode.putArray("arguments");
            for (PackageArgument a : p.arguments()) {
                argumentNodes.addObject()
                        .put("type", a.type())
                        .put("name", a.name())
                        .put("value", a.value())
                        .put("default_value", a.defaultValue())
                        .put("value_hint", a.valueHint())
                        .put("description", a.description())
                        .put("required", a.required());
            }
            ArrayNode variableNodes = packageNode.putArray("environment_variables");
            for (EnvironmentVariable v : p.environmentVariables()) {
                variableNodes.addObject().put("name", v.name()).put("description", v.description());
            }
        }
        return json;
    }

    /**
     * The manifest {@link #toJson} wrote, as a publisher sends it to be attested: field for field, an absent or null
     * field stays null. Throws {@link IllegalArgumentException} naming the field when {@code name}, {@code version}
     * or a variable's {@code name} is missing, when {@code version} is blank, or when a list is not an array.
     */
    public static CapsuleManifest fromJson(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("manifest must be a JSON object");
        }
        List<CapsulePackage> packages = new ArrayList<>();
        for (JsonNode p : array(json, "packages")) {
            List<PackageArgument> arguments = new ArrayList<>();
            for (JsonNode a : array(p, "arguments")) {
                arguments.add(new PackageArgument(text(a, "type"), text(a, "name"), text(a, "value"),
                        text(a, "default_value"), text(a, "value_hint"), text(a, "description"),
                        a.hasNonNull("required") ? a.get("required").asBoolean() : null));
            }
            List<EnvironmentVariable> variables = new ArrayList<>();
            for (JsonNode v : array(p, "environment_variables")) {
                variables.add(new EnvironmentVariable(required(v, "environment_variables[].name", "name"),
                        text(v, "description")));
            }
            packages.add(new CapsulePackage(text(p, "registry"), text(p, "name"), text(p, "version"), arguments,
                    variables));
        }
        String version = required(json, "version", "version");
        if (version.isBlank()) {
            // a reviewer approves or rejects a version by naming it, and a blank one cannot be named
            throw new IllegalArgumentException("manifest field version must not be blank");
        }
        return new CapsuleManifest(required(json, "name", "name"), text(json, "description"),
                text(json, "repository_url"), text(json, "repository_source"), version, packages);
    }

    private static JsonNode array(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return JsonNodeFactory.instance.arrayNode();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("manifest field " + field + " must be an array");
        }
        return value;
    }

    private static String required(JsonNode node, String path, String field) {
        String value = text(node, field);
        if (value == null) {
            throw new IllegalArgumentException("manifest field " + path + " is required");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }
}
