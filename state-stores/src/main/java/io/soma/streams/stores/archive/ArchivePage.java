package io.soma.streams.stores.archive;

import java.util.List;

/** The rows of a range, at most the limit asked for; {@code truncated} when the range holds more. */
public record ArchivePage<R>(List<R> rows, boolean truncated) {
}
