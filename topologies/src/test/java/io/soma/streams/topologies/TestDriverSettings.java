package io.soma.streams.topologies;

import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.Properties;

/** The settings of a {@code TopologyTestDriver}: no broker it would reach, its state in a directory of its own. */
public final class TestDriverSettings {
    private TestDriverSettings() {
    }

    public static Properties of(String applicationId, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }
}
