package io.soma.streams.topologies.marketplace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.topologies.marketplace.CapsuleManifest.CapsulePackage;
import io.soma.streams.topologies.marketplace.CapsuleManifest.EnvironmentVariable;
import io.soma.streams.topologies.marketplace.CapsuleManifest.PackageArgument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an MCP registry seed file ({@code ../shared/data/mcp-registry/servers_2025-05-16.json}: a JSON array of
 * server entries) into capsule manifests, one per entry, keeping the entry's id as the capsule id. A package names its
 * registry as {@code registry_name} or, in older entries, {@code registry}. {@code remotes} (hosted endpoints, no
 * package) are not part of a manifest.
 */
public final class McpRegistry {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One registry entry as a capsule. */
    public record Entry(String capsuleId, CapsuleManifest manifest) {
    }

    private McpRegistry() {
    }

    /** The seed catalog in the shared data folder. */
    public static Path file(Path dataDir) {
        return dataDir.resolve("mcp-registry").resolve("servers_2025-05-16.json");
    }

    public static List<Entry> read(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read MCP registry file " + file, e);
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException(file + " is not a JSON array of registry entries");
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode entry : root) {
            entries.add(new Entry(entry.path("id").asText(), manifest(entry)));
        }
        return entries;
    }

    static CapsuleManifest manifest(JsonNode entry) {
        List<CapsulePackage> packages = new ArrayList<>();
        for (JsonNode p : entry.path("packages")) {
            List<PackageArgument> arguments = new ArrayList<>();
            for (JsonNode a : p.path("package_arguments")) {
                arguments.add(new PackageArgument(text(a, "type"), text(a, "name"), text(a, "value"),
                        text(a, "default"), text(a, "value_hint"), text(a, "description"),
                        a.hasNonNull("is_required") ? a.get("is_required").asBoolean() : null));
            }
            List<EnvironmentVariable> variables = new ArrayList<>();
            for (JsonNode v : p.path("environment_variables")) {
                variables.add(new EnvironmentVariable(v.path("name").asText(), text(v, "description")));
            }
            String registry = p.has("registry_name") ? text(p, "registry_name") : text(p, "registry");
            packages.add(new CapsulePackage(registry, text(p, "name"), text(p, "version"), arguments, variables));
        }
        JsonNode repository = entry.path("repository");
        return new CapsuleManifest(entry.path("name").asText(), text(entry, "description"), text(repository, "url"),
                text(repository, "source"), entry.path("version_detail").path("version").asText(), packages);
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }
}
