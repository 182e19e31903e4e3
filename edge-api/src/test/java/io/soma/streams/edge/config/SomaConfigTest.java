package io.soma.streams.edge.config;

import io.soma.streams.topologies.runtime.Settings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SomaConfigTest {

    @Test
    void shouldLogNoPasswordOfAnyUrl() {
        SomaConfig config = SomaConfig.from(Settings.of(Map.of(
                "redis.url", "redis://:redis-pass-1@redis.internal:6379",
                "postgres.jdbc.url", "jdbc:postgresql://db.internal:5432/soma?password=pg-pass-2",
                "postgres.password", "pg-pass-3",
                "schema.registry.url", "http://reader:registry-pass-4@registry.internal:8081")));

        String logged = config.toString();

        assertThat(logged).doesNotContain("pass-1", "pass-2", "pass-3", "pass-4")
                .contains("redis://:****@redis.internal:6379", "jdbc:postgresql://db.internal:5432/soma?password=****",
                        "http://reader:****@registry.internal:8081");
    }

    /** Other instances ask for store entries at the advertised address: a wildcard host is no address. */
    @Test
    void shouldRefuseToAdvertiseAWildcardHost() {
        assertThatThrownBy(() -> SomaConfig.from(Settings.of(Map.of("edge.host", "0.0.0.0", "stack.embedded", "false"))))
                .isInstanceOf(Settings.ConfigException.class).hasMessageContaining("edge.advertised.address");
        assertThat(SomaConfig.from(Settings.of(Map.of("edge.host", "0.0.0.0", "stack.embedded", "false",
                "edge.advertised.address", "soma-0.soma:7071"))).advertisedAddress()).isEqualTo("soma-0.soma:7071");
        // the embedded demo is one instance: no other asks it for anything
        assertThat(SomaConfig.from(Settings.of(Map.of("edge.host", "0.0.0.0"))).edgeHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void shouldRefuseAProcessingGuaranteeOtherThanExactlyOnce() {
        assertThatThrownBy(() -> SomaConfig.from(Settings.of(Map.of("streams.processing.guarantee", "at_least_once"))))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("exactly_once_v2");
    }

    /** No stream thread runs no app, yet the process would start and answer: refused at start, naming the setting. */
    @Test
    void shouldRefuseCountsBelowWhatTheProcessNeeds() {
        for (String setting : new String[] {"streams.num.stream.threads", "topics.partitions", "postgres.pool.size"}) {
            assertThatThrownBy(() -> SomaConfig.from(Settings.of(Map.of(setting, "0"))))
                    .isInstanceOf(Settings.ConfigException.class)
                    .hasMessage("setting " + setting + " must be at least 1, got 0");
        }
        assertThatThrownBy(() -> SomaConfig.from(Settings.of(Map.of("streams.num.standby.replicas", "-1"))))
                .hasMessage("setting streams.num.standby.replicas must be at least 0, got -1");
    }
}
