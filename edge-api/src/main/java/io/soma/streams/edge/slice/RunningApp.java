package io.soma.streams.edge.slice;

import io.soma.streams.edge.health.ReadinessCheck;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/** One running Kafka Streams app of this process, ready when RUNNING. */
public record RunningApp(String applicationId, KafkaStreams streams) implements AutoCloseable, ReadinessCheck {
    private static final Logger log = LoggerFactory.getLogger(RunningApp.class);

    public static RunningApp start(String applicationId, Topology topology, StreamsSettings settings) {
        KafkaStreams streams = new KafkaStreams(topology, settings.forApp(applicationId));
        // a failing thread is replaced: with exactly-once the failed batch is aborted and redone
        streams.setUncaughtExceptionHandler(e -> {
            log.error("{}: stream thread failed, replacing it", applicationId, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> log.info("{}: {} -> {}", applicationId, before, now));
        streams.start();
        return new RunningApp(applicationId, streams);
    }

    @Override
    public String name() {
        return applicationId;
    }

    @Override
    public String problem() {
        KafkaStreams.State state = streams.state();
        return state == KafkaStreams.State.RUNNING ? null : "state " + state;
    }

    /** ERROR is the end of a Kafka Streams client: a global thread that failed is not replaced, for one. */
    @Override
    public String failedForGood() {
        return streams.state() == KafkaStreams.State.ERROR ? "state ERROR: it does not run again" : null;
    }

    @Override
    public void close() {
        // leaving the group hands this instance's tasks to the others now, not after the session timeout
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
    }
}
