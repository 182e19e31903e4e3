package io.soma.streams.topologies.marketplace;

import io.soma.streams.schemas.Texts;

/**
 * The sizes the marketplace accepts, so that every record it writes (an entry, an audit record, a dead letter) stays
 * far under the brokers' 1 MB record limit: a record that can never be written fails its transaction again on every
 * retry, and the app stalls for every capsule of its partitions.
 */
public final class MarketplaceLimits {
    /** The longest capsule id, publisher, submitter, reviewer, tenant, version, key id or algorithm, in characters. */
    public static final int MAX_NAME_CHARS = 256;
    /** The longest signature, in base64 characters (an RS256 signature of a 4,096-bit key is 684). */
    public static final int MAX_SIGNATURE_CHARS = 4096;
    /** The longest refusal message a record carries, in characters: whatever it quotes, it stays this short. */
    public static final int MAX_MESSAGE_CHARS = 1000;
    /** The longest review notes, in characters: each transition's notes ride in the entry and its audit record. */
    public static final int MAX_NOTES_CHARS = 2000;
    /** The largest encoded catalog entry a submission may leave: half the brokers' default record limit. */
    public static final int MAX_ENTRY_BYTES = 512 * 1024;

    private MarketplaceLimits() {
    }

    /** A name as a record may echo it: unchanged when accepted, cut to {@value #MAX_NAME_CHARS} characters when not. */
    public static String shown(String name) {
        return cut(name, MAX_NAME_CHARS);
    }

    /** A refusal message as a record carries it: cut to {@value #MAX_MESSAGE_CHARS} characters. */
    public static String message(String text) {
        return cut(text, MAX_MESSAGE_CHARS);
    }

    private static String cut(String text, int maxChars) {
        return Texts.cut(text, maxChars);
    }
}
