package io.soma.streams.topologies.runtime;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.Texts;

/**
 * How long the names an app keys or groups events by may be: tenant, model, provider and capsule id. The SLM,
 * forecast and budget apps key records by them and keep them in the value too, so an event within the brokers' 1 MB limit with
 * a name of half a megabyte made a record over it, which failed its transaction on every retry and stalled the app
 * for every tenant of its partition. An event with a longer name is refused (its app dead-letters it); the edge
 * answers 422 before publishing one.
 */
public final class EventNames {
    public static final int MAX_CHARS = 256;

    private EventNames() {
    }

    /** Throws, naming the field, when a name of {@code event} is longer than {@value #MAX_CHARS} characters. */
    public static ConversationEvent require(ConversationEvent event) {
        check("tenant", event.getTenant());
        check("model", event.getModel());
        check("provider", event.getProvider());
        check("capsule_id", event.getCapsuleId());
        return event;
    }

    /** {@code tenant}, when it is not longer than {@value #MAX_CHARS} characters; throws otherwise. */
    public static String tenant(String tenant) {
        check("tenant", tenant);
        return tenant;
    }

    private static void check(String field, String value) {
        if (Texts.longerThan(value, MAX_CHARS)) {
            throw new IllegalArgumentException("the event's " + field + " is " + value.length()
                    + " characters, at most " + MAX_CHARS);
        }
    }
}
