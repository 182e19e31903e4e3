package io.soma.streams.topologies.policy.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Rule sets shipped with the platform that a tenant includes by name in its own pack ({@code PUT
 * /v1/policies/{tenant}} with {@code "include": ["guardrails"]}). Each has a version of its own, raised whenever
 * its rules change; a tenant's pack holds a copy of the rules it included, so a new release changes no tenant's
 * decisions until the tenant includes it again (and its pack gets a new version, as for any change).
 */
public final class BuiltInPacks {
    /** The default pack: the built-in detectors with the actions most tenants want. */
    public static final String GUARDRAILS = "guardrails";
    private static final List<String> NAMES = List.of(GUARDRAILS);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private BuiltInPacks() {
    }

    public record BuiltInPack(String name, long version, String description, List<Rule> rules) {
        public BuiltInPack {
            rules = List.copyOf(rules);
        }
    }

    public static List<BuiltInPack> all() {
        return NAMES.stream().map(BuiltInPacks::load).toList();
    }

    public static Optional<BuiltInPack> named(String name) {
        return NAMES.contains(name) ? Optional.of(load(name)) : Optional.empty();
    }

    private static BuiltInPack load(String name) {
        String path = "policy/packs/" + name + ".json";
        try (InputStream in = BuiltInPacks.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + path);
            }
            JsonNode root = MAPPER.readTree(in);
            List<RulePackProblem> problems = new ArrayList<>(RulePackJson.unknownRuleFields(root.path("rules")));
            List<Rule> rules = RulePackJson.readRules(root.path("rules"), problems);
            problems.addAll(RulePackValidator.validateRules(rules));
            if (!problems.isEmpty()) {
                throw new InvalidRulePackException(problems);
            }
            return new BuiltInPack(root.path("name").asText(), root.path("version").asLong(),
                    root.path("description").asText(), rules);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("built-in pack " + name + " is not valid JSON", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
