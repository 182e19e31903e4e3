package io.soma.streams.edge.slice;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The slices one process runs, in start order; closing stops them in reverse. */
public final class Slices implements AutoCloseable {
    private final List<Slice> started = new ArrayList<>();
    private final Closer closer = new Closer();

    /** Starts each slice of {@code composition} in order; if one fails, those already started are closed. */
    public static Slices start(Platform platform, List<Slice.Starter> composition) {
        return start(platform, composition, StopSignal.manual());
    }

    /** {@link #start(Platform, List)}, and also stopped, closing those started, when a stop comes before the next. */
    public static Slices start(Platform platform, List<Slice.Starter> composition, StopSignal stop) {
        Slices slices = new Slices();
        try {
            for (Slice.Starter starter : composition) {
                stop.checkBefore("slice " + (slices.started.size() + 1) + " of " + composition.size());
                Slice slice = starter.start(platform, slices);
                slices.started.add(slice);
                slices.closer.own(slice);
            }
            return slices;
        } catch (RuntimeException | Error e) {
            stop.closingAfterFailure();
            slices.close();
            throw e;
        }
    }

    /** The running slice of that type, if the composition has one. */
    public <S extends Slice> Optional<S> find(Class<S> type) {
        return started.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    /** The running slice of that type; a composition without it is a programming error. */
    public <S extends Slice> S require(Class<S> type) {
        return find(type).orElseThrow(() -> new IllegalStateException(
                "this process runs no " + type.getSimpleName() + ": add it to the composition list"));
    }

    @Override
    public void close() {
        closer.close();
    }
}
