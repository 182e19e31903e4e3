package io.soma.streams.edge.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.kafka.CompactedTopicView;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.List;

/**
 * This instance's copy of {@code budget.definitions} (compacted; read from the start, tombstones applied): what the
 * edge knows of a tenant's budgets when the budget app does not answer, to decide between 503 and letting the step
 * through. It is the definitions as published, so it holds even when the app never applied them.
 */
public final class BudgetDefinitions implements AutoCloseable {
    private final CompactedTopicView<BudgetDefinition, BudgetDefinition> definitions;

    public BudgetDefinitions(String bootstrapServers, Deserializer<BudgetDefinition> values) {
        this.definitions = CompactedTopicView.whole(bootstrapServers, Topics.BUDGET_DEFINITIONS.name(), values);
    }

    /**
     * Whether this copy holds every definition published before the process started: until then a tenant's hard
     * fail-closed budget may not be in {@link #failingClosed} yet.
     */
    public boolean caughtUp() {
        return definitions.caughtUp();
    }

    /** The tenant's hard budgets that refuse steps while their state cannot be reached, by id. */
    public List<String> failingClosed(String tenant) {
        return definitions.values().stream()
                .filter(d -> d.getTenant().equals(tenant) && d.getHard() && d.getFailClosed())
                .map(BudgetDefinition::getBudgetId).sorted().toList();
    }

    @Override
    public void close() {
        definitions.close();
    }
}
