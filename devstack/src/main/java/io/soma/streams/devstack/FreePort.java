package io.soma.streams.devstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A TCP port nothing listens on right now, on 127.0.0.1 (where every local service binds). */
public final class FreePort {
    private static final Logger log = LoggerFactory.getLogger(FreePort.class);

    private FreePort() {
    }

    /**
     * Runs {@code start} until it succeeds, again (up to {@code attempts} times in all) while it fails because a port
     * it was given was taken: a port found free is bound a moment later, and another process (the other test JVM, an
     * outgoing connection) can take it in between. {@code start} picks new ports each time and cleans up after its
     * own failure.
     *
     * @param portTaken whether a failure is that race, not another reason to give up
     */
    static <T> T retryingTakenPorts(String what, int attempts, Supplier<T> start, Predicate<RuntimeException> portTaken) {
        for (int attempt = 1; ; attempt++) {
            try {
                return start.get();
            } catch (RuntimeException e) {
                if (attempt >= attempts || !portTaken.test(e)) {
                    throw e;
                }
                log.warn("{} could not have a port it found free (taken since); starting again on another: {}", what,
                        e.getMessage());
            }
        }
    }

    public static int onLoopback() {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
