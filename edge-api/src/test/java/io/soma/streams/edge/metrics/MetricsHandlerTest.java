package io.soma.streams.edge.metrics;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MetricsHandlerTest {
    @Test
    void shouldServeMetricsOnThePublicPortOnlyOnLoopbackWithoutAManagementListener() {
        assertThat(MetricsHandler.servedOnPublicPort("127.0.0.1", false)).isTrue();
        assertThat(MetricsHandler.servedOnPublicPort("localhost", false)).isTrue();
        assertThat(MetricsHandler.servedOnPublicPort("::1", false)).isTrue();

        assertThat(MetricsHandler.servedOnPublicPort("0.0.0.0", false)).isFalse();
        assertThat(MetricsHandler.servedOnPublicPort("::", false)).isFalse();
        assertThat(MetricsHandler.servedOnPublicPort("127.0.0.1", true)).isFalse();
    }
}
