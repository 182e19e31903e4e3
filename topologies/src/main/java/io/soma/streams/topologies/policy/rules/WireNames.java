package io.soma.streams.topologies.policy.rules;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The lower-case names the JSON API and the Avro records use for the policy enums. */
public final class WireNames {
    private WireNames() {
    }

    public static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    public static <E extends Enum<E>> E parse(Class<E> type, String wire) {
        for (E value : type.getEnumConstants()) {
            if (of(value).equals(wire == null ? null : wire.trim().toLowerCase(Locale.ROOT))) {
                return value;
            }
        }
        String allowed = Arrays.stream(type.getEnumConstants()).map(WireNames::of).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("'" + wire + "' is not one of: " + allowed);
    }
}
