package io.soma.streams.stores.archive;

import java.util.Locale;

/** In which time order the archive's pages read a key's rows. */
public enum PageOrder {
    OLDEST_FIRST, NEWEST_FIRST;

    /**
     * The order a route's {@code order} parameter names: {@code oldest} (also when absent) or {@code newest}.
     *
     * @throws IllegalArgumentException for any other value (a 400 at the edge)
     */
    public static PageOrder named(String name) {
        if (name == null || name.isBlank()) {
            return OLDEST_FIRST;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "oldest" -> OLDEST_FIRST;
            case "newest" -> NEWEST_FIRST;
            default -> throw new IllegalArgumentException("order must be oldest or newest, got '" + name + "'");
        };
    }
}
