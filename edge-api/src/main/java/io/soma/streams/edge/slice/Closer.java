package io.soma.streams.edge.slice;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;

/** What was started, to be closed in reverse; a failing close is logged and the others still close. */
public final class Closer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Closer.class);
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    /**
     * Runs {@code start} with a new closer for what it starts; if it fails, what it had started is closed before the
     * failure goes on.
     */
    public static <T> T starting(Function<Closer, T> start) {
        Closer closer = new Closer();
        try {
            return start.apply(closer);
        } catch (RuntimeException | Error e) {
            closer.close();
            throw e;
        }
    }

    public <T extends AutoCloseable> T own(T closeable) {
        started.push(closeable);
        return closeable;
    }

    @Override
    public void close() {
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (Exception e) {
                log.warn("stopping {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
