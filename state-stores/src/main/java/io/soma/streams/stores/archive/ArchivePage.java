package io.soma.streams.stores.archive;

import java.util.List;

/**
 * The rows of a range, at most the limit asked for; {@code nextCursor} reads the next page of the same range, null on
 * the last.
 */
public record ArchivePage<R>(List<R> rows, String nextCursor) {
    /** Whether the range holds more rows than this page. */
    public boolean truncated() {
        return nextCursor != null;
    }
}
