package io.soma.streams.edge.slice;

/**
 * One capability of the process (policy, training, forecasts, ...): it builds its Streams app, registers the stores
 * the edge reads, starts its mirrors and reply waiters, adds its readiness checks and offers its handlers. The process
 * starts the slices of its composition list on a shared {@link Platform} and closes them in reverse; routes stay
 * declared in one place, {@code EdgeRoutes}, which asks {@link Slices} for the slices it serves.
 */
public interface Slice extends AutoCloseable {
    /** What the slice started, in order. */
    Closer closer();

    /** Stops what the slice started, in reverse order. */
    @Override
    default void close() {
        closer().close();
    }

    /** How a composition list names a slice: it starts on the platform and may use the slices started before it. */
    @FunctionalInterface
    interface Starter {
        Slice start(Platform platform, Slices started);
    }
}
