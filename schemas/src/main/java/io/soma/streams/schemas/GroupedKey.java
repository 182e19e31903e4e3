package io.soma.streams.schemas;

import java.util.List;

/**
 * The key format of a grouped store: a group (the tenant, say), then each part, separated by NUL, so that a prefix
 * scan of {@link #prefix(String)} reads one group and nothing else. The app that writes such a store must partition
 * its input by the group (as a String key, with the default partitioner), so every entry of a group lives on the
 * partition a query for the group asks. Apps write with it; the store query service reads with it.
 */
public final class GroupedKey {
    private static final char SEPARATOR = '\u0000';

    private GroupedKey() {
    }

    /**
     * {@code group}, then {@code parts}.
     *
     * @throws IllegalArgumentException when the group or a part holds NUL (it would land in another group or key)
     */
    public static String of(String group, String... parts) {
        for (String part : parts) {
            requireNoNul(part);
        }
        return prefix(group) + String.join(String.valueOf(SEPARATOR), parts);
    }

    /** What every key of {@code group} starts with (and no key of another group). */
    public static String prefix(String group) {
        return requireNoNul(group) + SEPARATOR;
    }

    /** Whether {@code text} can be a group or a part: it holds no NUL, the separator. */
    public static boolean isPart(String text) {
        return text.indexOf(SEPARATOR) < 0;
    }

    /** The parts of a key made by {@link #of}, group first. */
    public static List<String> parts(String groupedKey) {
        return List.of(groupedKey.split(String.valueOf(SEPARATOR), -1));
    }

    private static String requireNoNul(String part) {
        if (!isPart(part)) {
            throw new IllegalArgumentException("a grouped key's parts must not contain NUL: "
                    + part.replace(SEPARATOR, '\uFFFD'));
        }
        return part;
    }
}
