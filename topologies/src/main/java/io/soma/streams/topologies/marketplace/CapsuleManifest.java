package io.soma.streams.topologies.marketplace;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
}
