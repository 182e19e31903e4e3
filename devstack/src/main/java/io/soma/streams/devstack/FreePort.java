package io.soma.streams.devstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A TCP port nothing listens on right now, on 127.0.0.1 (where every local service binds). */
public final class FreePort {
    private static final Logger log = LoggerFactory.getLogger(FreePort.class);
    /** Above the fixed ports of the usual local services (PostgreSQL, Redis, Kafka, a registry, the edge). */
    static final int PICKED_FROM = 20_000;
    private static final int ATTEMPTS = 200;
    private static final int DEFAULT_EPHEMERAL_START = 32_768;
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

    private FreePort() {
    }

    /**
     * Runs {@code start} until it succeeds, again (up to {@code attempts} times in all) while it fails because a port
     * it was given was taken: a port found free is bound a moment later, and another process binding ports (the
     * other test JVM) can take it in between. {@code start} picks new ports each time and cleans up after its
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

    /**
     * A port nothing listens on now, below the kernel's ephemeral range, which this JVM has not handed out before.
     * Outgoing connections take their local ports from the ephemeral range, so they cannot take this one between
     * now and its bind (or while a stopped broker that must keep its port is down); only another process binding
     * ports explicitly can, which {@link #retryingTakenPorts} covers.
     */
    public static int onLoopback() {
        int end = ephemeralRangeStart();
        for (int attempt = 0; attempt < ATTEMPTS && end - PICKED_FROM > 1000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(PICKED_FROM, end);
            if (!handedOut.contains(port) && bindable(port) && handedOut.add(port)) {
                return port;
            }
        }
        // no range outside the ephemeral one, or none of it free: the kernel's pick
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            handedOut.add(socket.getLocalPort());
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 0, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range (Linux), or the usual first when it cannot be read. */
    static int ephemeralRangeStart() {
        try {
            // read line by line: a /proc file reports size 0, and a read by size gets its first byte only
            String range = Files.readAllLines(EPHEMERAL_RANGE).get(0).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_START;
        }
    }
}
