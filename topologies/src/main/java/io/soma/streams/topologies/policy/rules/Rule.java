package io.soma.streams.topologies.policy.rules;

import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One policy rule (docs/policy.md, "Rules and rule packs"). Roles and tools are lower-cased; an empty set means
 * "all".
 *
 * @param description may be null
 */
public record Rule(String name, String pattern, MatchType match, double weight, Severity severity, Action action,
                   Set<String> appliesToRoles, Set<String> appliesToTools, String description) {
    public static final MatchType DEFAULT_MATCH = MatchType.SUBSTRING;
    public static final double DEFAULT_WEIGHT = 0.35;
    public static final Severity DEFAULT_SEVERITY = Severity.MEDIUM;
    public static final Action DEFAULT_ACTION = Action.DENY;
    /** The roles an event speaks in, as rules' {@code applies_to.roles} name them. */
    public static final Set<String> ROLES = Set.of("user", "assistant", "system", "tool");

    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(action, "action");
        appliesToRoles = normalised(appliesToRoles);
        appliesToTools = normalised(appliesToTools);
    }

    /** A rule with the defaults: case-insensitive substring, weight 0.35, medium, deny, everywhere. */
    public static Rule withDefaults(String name, String pattern) {
        return new Rule(name, pattern, DEFAULT_MATCH, DEFAULT_WEIGHT, DEFAULT_SEVERITY, DEFAULT_ACTION,
                Set.of(), Set.of(), null);
    }

    /** Applies to an event with this role and tool (either may be null). */
    public boolean appliesTo(String role, String tool) {
        return inRoleScope(role) && inScope(appliesToTools, tool);
    }

    /**
     * A role outside {@link #ROLES} (or none) is in the scope of every role-scoped rule: the edge refuses one, but
     * an event another producer wrote to the topic with {@code "function"} or {@code "human"} must not skip the
     * rules kept for {@code user} and {@code tool} (the instruction-override guardrails).
     */
    private boolean inRoleScope(String role) {
        String normalised = normalisedScope(role);
        return appliesToRoles.isEmpty() || normalised == null || !ROLES.contains(normalised)
                || appliesToRoles.contains(normalised);
    }

    private static boolean inScope(Set<String> scope, String value) {
        return scope.isEmpty() || (value != null && scope.contains(normalisedScope(value)));
    }

    public boolean scoped() {
        return !appliesToRoles.isEmpty() || !appliesToTools.isEmpty();
    }

    public static String normalisedScope(String value) {
        return value == null ? null : value.trim().toLowerCase(Locale.ROOT);
    }

    private static Set<String> normalised(Collection<String> values) {
        TreeSet<String> sorted = new TreeSet<>();
        if (values != null) {
            values.forEach(v -> sorted.add(normalisedScope(Objects.requireNonNull(v, "scope entry"))));
        }
        return Set.copyOf(sorted);
    }
}
