package io.soma.streams.topologies.marketplace;

/**
 * The sizes the marketplace accepts, so that every record it writes (an entry, an audit record, a dead letter) stays
 * far under the brokers' 1 MB record limit: a record that can never be written fails its transaction again on every
 * retry, and the app stalls for every capsule of its partitions.
 */
public final class MarketplaceLimits {
    /** The longest capsule id, publisher, submitter, reviewer, tenant or version, in characters. */
    public static final int MAX_NAME_CHARS = 256;
    /** The longest review notes, in characters: each transition's notes ride in the entry and its audit record. */
    public static final int MAX_NOTES_CHARS = 2000;
    /** The largest encoded catalog entry a submission may leave: half the brokers' default record limit. */
    public static final int MAX_ENTRY_BYTES = 512 * 1024;

    private MarketplaceLimits() {
    }

    /** Whether {@code text} is longer than {@code maxChars}; null is not. */
    public static boolean longerThan(String text, int maxChars) {
        return text != null && text.length() > maxChars;
    }

    /** A name as a record may echo it: unchanged when accepted, cut to {@value #MAX_NAME_CHARS} characters when not. */
    public static String shown(String name) {
        return longerThan(name, MAX_NAME_CHARS) ? name.substring(0, MAX_NAME_CHARS) + "…" : name;
    }
}
