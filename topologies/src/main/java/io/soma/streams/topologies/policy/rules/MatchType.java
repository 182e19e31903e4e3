package io.soma.streams.topologies.policy.rules;

/** How a rule's pattern is matched against the text; every kind is case-insensitive. */
public enum MatchType {
    /** The pattern occurs anywhere in the text (the default). */
    SUBSTRING,
    /** A Java regular expression, found anywhere in the text; guarded against catastrophic backtracking. */
    REGEX,
    /** Words separated by spaces or commas; the rule matches when any one occurs as a whole word ({@code word*} = prefix). */
    KEYWORDS;

    public String wire() {
        return WireNames.of(this);
    }

    public static MatchType fromWire(String wire) {
        return WireNames.parse(MatchType.class, wire);
    }
}
