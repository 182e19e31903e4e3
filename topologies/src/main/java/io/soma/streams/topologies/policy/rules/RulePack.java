package io.soma.streams.topologies.policy.rules;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A tenant's rules as the edge accepts them and {@code policy.rulepacks} carries them.
 *
 * @param updatedBy may be null
 */
public record RulePack(String tenant, long version, List<Rule> rules, Instant updatedAt, String updatedBy) {
    public RulePack {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(updatedAt, "updatedAt");
        rules = List.copyOf(rules);
    }
}
