package io.soma.streams.testkit;

import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

import java.time.Duration;
import java.util.List;

/** Starting Streams apps in tests and waiting until they work; closing them so their group moves on at once. */
public final class StreamsApps {
    /** Leaving the group on close: a restarted or remaining instance gets the tasks without a session timeout. */
    public static final CloseOptions LEAVE_GROUP = CloseOptions
            .groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30));
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private StreamsApps() {
    }

    /** Starts {@code streams} and waits until it is RUNNING. */
    public static KafkaStreams startAndAwaitRunning(KafkaStreams streams) {
        streams.start();
        awaitRunning(List.of(streams));
        return streams;
    }

    /**
     * Waits until every instance is RUNNING and holds at least one active task, i.e. the group has settled
     * and each instance has its share of the partitions.
     */
    public static void awaitRunningWithTasks(List<KafkaStreams> instances) {
        Await.until(instances.size() + " instance(s) RUNNING with active tasks", START_TIMEOUT,
                () -> noneStopped(instances) && instances.stream().allMatch(s -> s.state() == KafkaStreams.State.RUNNING
                        && s.metadataForLocalThreads().stream().anyMatch(t -> !t.activeTasks().isEmpty())));
    }

    /** Waits until every instance is RUNNING; one that is dead or erroring fails at once. */
    public static void awaitRunning(List<KafkaStreams> instances) {
        Await.until(instances.size() + " instance(s) RUNNING", START_TIMEOUT,
                () -> noneStopped(instances) && instances.stream().allMatch(s -> s.state() == KafkaStreams.State.RUNNING));
    }

    /**
     * Closes {@code streams} (if started) leaving its group.
     *
     * @return whether it closed within {@link #LEAVE_GROUP}'s timeout; delete its state dir only if it did
     */
    public static boolean closeLeavingGroup(KafkaStreams streams) {
        return streams == null || streams.close(LEAVE_GROUP);
    }

    /** Fails the wait at once (an AssertionError is not retried by {@link Await}) when an app has stopped. */
    private static boolean noneStopped(List<KafkaStreams> instances) {
        for (KafkaStreams s : instances) {
            if (s.state() == KafkaStreams.State.ERROR || s.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new AssertionError("a Streams app stopped while starting: " + s.state());
            }
        }
        return true;
    }
}
