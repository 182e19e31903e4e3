package io.soma.streams.devstack;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FreePortTest {
    @Test
    void shouldHandOutDistinctBindablePortsOutsideTheEphemeralRange() throws IOException {
        int ephemeral = FreePort.ephemeralRangeStart();
        assumeTrue(ephemeral - FreePort.PICKED_FROM > 1000, "no range below the ephemeral one on this host");
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int port = FreePort.onLoopback();
            // an outgoing connection's local port comes from the ephemeral range: it can never take these
            assertThat(port).isBetween(FreePort.PICKED_FROM, ephemeral - 1);
            assertThat(ports.add(port)).as("handed out once: %d", port).isTrue();
            try (ServerSocket bound = new ServerSocket(port, 0, InetAddress.getLoopbackAddress())) {
                assertThat(bound.getLocalPort()).isEqualTo(port);
            }
        }
    }
}
