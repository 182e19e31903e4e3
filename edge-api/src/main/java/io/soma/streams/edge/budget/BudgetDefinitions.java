package io.soma.streams.edge.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.kafka.CompactedTopicView;
import io.soma.streams.topologies.budget.TenantLedger;
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

    /**
     * The hard budgets of the step's tenant that would hold it ({@link TenantLedger#applies}: a budget of another
     * model's does not) and refuse steps while their state cannot be reached, by id.
     */
    public List<String> failingClosed(BudgetGate.Step step) {
        return definitions.values().stream()
                .filter(d -> d.getTenant().equals(step.tenant()) && d.getHard() && d.getFailClosed()
                        && TenantLedger.applies(d, step.provider(), step.model(), step.capsuleId()))
                .map(BudgetDefinition::getBudgetId).sorted().toList();
    }

    @Override
    public void close() {
        definitions.close();
    }
}
