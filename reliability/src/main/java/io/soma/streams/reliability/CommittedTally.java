package io.soma.streams.reliability;

import io.soma.streams.stores.kafka.TopicFollower;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The records of this run on one output topic as a downstream reader sees them (read_committed, every partition
 * from the start), counted by the input they answer: decisions by event id, training audits by tenant. An input
 * with two output records is a duplicate, an input with none is a loss.
 */
final class CommittedTally<V> implements AutoCloseable {
    private final Map<String, List<String>> outputsByInput = new ConcurrentHashMap<>();
    private final TopicFollower<V> follower;

    /**
     * @param inputId  the id of the input a record answers; records whose input id does not start with the run id
     *                 are not this run's
     * @param outputId the record's own id
     */
    CommittedTally(String bootstrapServers, String topic, Deserializer<V> values, String runId,
                   Function<V, String> inputId, Function<V, String> outputId) {
        this.follower = new TopicFollower<>(bootstrapServers, topic, values, TopicFollower.Start.BEGINNING, r -> {
            String input = r.value() == null ? null : inputId.apply(r.value());
            if (input != null && input.startsWith(runId)) {
                outputsByInput.computeIfAbsent(input, k -> new ArrayList<>()).add(outputId.apply(r.value()));
            }
        }, () -> { });
    }

    /** Inputs with at least one output record. */
    int answered() {
        return outputsByInput.size();
    }

    /** Inputs with more than one output record. */
    int duplicates() {
        return (int) outputsByInput.values().stream().filter(ids -> ids.size() > 1).count();
    }

    Set<String> outputIds() {
        Set<String> ids = new HashSet<>();
        outputsByInput.values().forEach(ids::addAll);
        return ids;
    }

    /**
     * Waits until every expected input has an output, or until no new output arrived for {@code stall} (a slow
     * machine catching up is not a loss); returns the inputs still without.
     */
    Set<String> awaitAll(Set<String> expected, Duration stall) {
        Drill.awaitUnlessStalled(this::answered, answered -> outputsByInput.keySet().containsAll(expected),
                answered -> answered, stall, 250);
        Set<String> missing = new HashSet<>(expected);
        missing.removeAll(outputsByInput.keySet());
        return missing;
    }

    @Override
    public void close() {
        follower.close();
    }
}
