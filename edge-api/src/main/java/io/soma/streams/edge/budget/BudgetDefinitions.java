package io.soma.streams.edge.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.kafka.TopicFollower;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This instance's copy of {@code budget.definitions} (compacted; read from the start, tombstones applied): what the
 * edge knows of a tenant's budgets when the budget app does not answer, to decide between 503 and letting the step
 * through. It is the definitions as published, so it holds even when the app never applied them.
 */
public final class BudgetDefinitions implements AutoCloseable {
    private final Map<String, BudgetDefinition> byKey = new ConcurrentHashMap<>();
    private final TopicFollower<BudgetDefinition> follower;

    public BudgetDefinitions(String bootstrapServers, Deserializer<BudgetDefinition> values) {
        this.follower = new TopicFollower<>(bootstrapServers, Topics.BUDGET_DEFINITIONS.name(), values,
                TopicFollower.Start.BEGINNING, this::apply, () -> { });
    }

    private void apply(ConsumerRecord<String, BudgetDefinition> r) {
        if (r.value() == null) {
            byKey.remove(r.key());
        } else {
            byKey.put(r.key(), r.value());
        }
    }

    /** The tenant's hard budgets that refuse steps while their state cannot be reached, by id. */
    public List<String> failingClosed(String tenant) {
        return byKey.values().stream()
                .filter(d -> d.getTenant().equals(tenant) && d.getHard() && d.getFailClosed())
                .map(BudgetDefinition::getBudgetId).sorted().toList();
    }

    @Override
    public void close() {
        follower.close();
    }
}
