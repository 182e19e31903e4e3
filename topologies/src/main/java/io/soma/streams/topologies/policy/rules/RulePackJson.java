package io.soma.streams.topologies.policy.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON form of rule packs (docs/policy.md; the edge's admin API and the example pack): snake_case fields, enum
 * values in lower case, the {@link Rule} defaults for absent rule fields, {@code updated_at} as ISO-8601 or epoch
 * millis.
 */
public final class RulePackJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Set<String> RULE_FIELDS = Set.of("name", "pattern", "match", "weight", "severity", "action",
            "applies_to", "description");
    private static final Set<String> APPLIES_TO_FIELDS = Set.of("roles", "tools");

    private RulePackJson() {
    }

    /** Parses and validates a whole pack. */
    public static RulePack read(String json) {
        JsonNode root = parse(json);
        List<RulePackProblem> problems = new ArrayList<>();
        String tenant = root.path("tenant").asText("");
        if (!root.path("version").canConvertToLong()) {
            problems.add(new RulePackProblem(null, "version", "must be a whole number"));
        }
        Instant updatedAt = instant(root.path("updated_at"), problems);
        problems.addAll(unknownRuleFields(root.path("rules")));
        List<Rule> rules = readRules(root.path("rules"), problems);
        if (!problems.isEmpty()) {
            throw new InvalidRulePackException(problems);
        }
        RulePack pack = new RulePack(tenant, root.path("version").asLong(), rules, updatedAt,
                root.hasNonNull("updated_by") ? root.get("updated_by").asText() : null);
        problems.addAll(RulePackValidator.validate(pack));
        if (!problems.isEmpty()) {
            throw new InvalidRulePackException(problems);
        }
        return pack;
    }

    /**
     * Reads a {@code rules} array, applying the {@link Rule} defaults; shape problems are added to {@code problems} and the
     * offending rules left out. Run {@link RulePackValidator} on the result for the semantic checks.
     */
    public static List<Rule> readRules(JsonNode rulesArray, List<RulePackProblem> problems) {
        List<Rule> rules = new ArrayList<>();
        if (rulesArray.isMissingNode() || rulesArray.isNull()) {
            return rules;
        }
        if (!rulesArray.isArray()) {
            problems.add(new RulePackProblem(null, "rules", "must be an array"));
            return rules;
        }
        for (int i = 0; i < rulesArray.size(); i++) {
            JsonNode node = rulesArray.get(i);
            String label = node.hasNonNull("name") ? node.get("name").asText() : "rules[" + i + "]";
            int before = problems.size();
            MatchType match = parseEnum(node, "match", Rule.DEFAULT_MATCH, MatchType::fromWire, label, problems);
            Severity severity = parseEnum(node, "severity", Rule.DEFAULT_SEVERITY, Severity::fromWire, label, problems);
            Action action = parseEnum(node, "action", Rule.DEFAULT_ACTION, Action::fromWire, label, problems);
            JsonNode weight = node.path("weight");
            if (!weight.isMissingNode() && !weight.isNumber()) {
                problems.add(new RulePackProblem(label, "weight", "must be a number"));
            }
            if (!node.path("name").isTextual() || !node.path("pattern").isTextual()) {
                problems.add(new RulePackProblem(label, "name/pattern", "name and pattern are required strings"));
            }
            Set<String> roles = strings(node.path("applies_to").path("roles"), label, "applies_to.roles", problems);
            Set<String> tools = strings(node.path("applies_to").path("tools"), label, "applies_to.tools", problems);
            if (problems.size() == before) {
                rules.add(new Rule(node.get("name").asText(), node.get("pattern").asText(), match,
                        weight.isNumber() ? weight.asDouble() : Rule.DEFAULT_WEIGHT, severity, action, roles, tools,
                        node.hasNonNull("description") ? node.get("description").asText() : null));
            }
        }
        return rules;
    }

    /**
     * A problem for each field of a rule (or of its {@code applies_to}) that no rule has: a misspelt field would
     * otherwise be a silently applied default ({@code "matc": "regex"} leaves a substring rule that never matches,
     * {@code "acton": "log"} a rule that denies). Packs are checked; constitution documents already signed are not.
     */
    public static List<RulePackProblem> unknownRuleFields(JsonNode rulesArray) {
        List<RulePackProblem> problems = new ArrayList<>();
        if (!rulesArray.isArray()) {
            return problems;
        }
        for (int i = 0; i < rulesArray.size(); i++) {
            JsonNode node = rulesArray.get(i);
            String label = node.hasNonNull("name") ? node.get("name").asText() : "rules[" + i + "]";
            unknownFields(node, RULE_FIELDS, "", label, problems);
            JsonNode scope = node.path("applies_to");
            if (!scope.isMissingNode() && !scope.isNull() && !scope.isObject()) {
                // a list here would be read as no scope at all: the rule would apply to every role and tool
                problems.add(new RulePackProblem(label, "applies_to", "must be an object {roles[], tools[]}"));
            }
            unknownFields(scope, APPLIES_TO_FIELDS, "applies_to.", label, problems);
        }
        return problems;
    }

    private static void unknownFields(JsonNode node, Set<String> known, String prefix, String label,
                                      List<RulePackProblem> problems) {
        node.fieldNames().forEachRemaining(field -> {
            if (!known.contains(field)) {
                problems.add(new RulePackProblem(label, prefix + field, "unknown field; known: "
                        + String.join(", ", new TreeSet<>(known))));
            }
        });
    }

    public static String write(RulePack pack) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("tenant", pack.tenant());
        root.put("version", pack.version());
        root.set("rules", writeRules(pack.rules()));
        root.put("updated_at", pack.updatedAt().toString());
        root.put("updated_by", pack.updatedBy());
        return root.toPrettyString();
    }

    public static ArrayNode writeRules(List<Rule> rules) {
        ArrayNode array = MAPPER.createArrayNode();
        for (Rule rule : rules) {
            ObjectNode node = array.addObject();
            node.put("name", rule.name());
            node.put("pattern", rule.pattern());
            node.put("match", rule.match().wire());
            node.put("weight", rule.weight());
            node.put("severity", rule.severity().wire());
            node.put("action", rule.action().wire());
            ObjectNode scope = node.putObject("applies_to");
            rule.appliesToRoles().stream().sorted().forEach(scope.putArray("roles")::add);
            rule.appliesToTools().stream().sorted().forEach(scope.putArray("tools")::add);
            node.put("description", rule.description());
        }
        return array;
    }

    private static JsonNode parse(String json) {
        try {
            JsonNode root = MAPPER.readTree(json);
            if (root == null || !root.isObject()) {
                throw new InvalidRulePackException(List.of(new RulePackProblem(null, "body", "must be a JSON object")));
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new InvalidRulePackException(List.of(new RulePackProblem(null, "body",
                    "not valid JSON: " + e.getOriginalMessage())));
        }
    }

    private interface WireParser<E> {
        E parse(String wire);
    }

    private static <E> E parseEnum(JsonNode rule, String field, E fallback, WireParser<E> parser, String label,
                                   List<RulePackProblem> problems) {
        if (!rule.hasNonNull(field)) {
            return fallback;
        }
        try {
            return parser.parse(rule.get(field).asText());
        } catch (IllegalArgumentException e) {
            problems.add(new RulePackProblem(label, field, e.getMessage()));
            return fallback;
        }
    }

    private static Set<String> strings(JsonNode array, String label, String field, List<RulePackProblem> problems) {
        Set<String> values = new TreeSet<>();
        if (array.isMissingNode() || array.isNull()) {
            return values;
        }
        if (!array.isArray()) {
            problems.add(new RulePackProblem(label, field, "must be an array of strings"));
            return values;
        }
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static Instant instant(JsonNode node, List<RulePackProblem> problems) {
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.asLong());
        }
        try {
            return Instant.parse(node.asText());
        } catch (DateTimeParseException e) {
            problems.add(new RulePackProblem(null, "updated_at", "must be ISO-8601 or epoch milliseconds"));
            return null;
        }
    }
}
