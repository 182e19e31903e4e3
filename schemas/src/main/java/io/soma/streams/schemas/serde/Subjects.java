package io.soma.streams.schemas.serde;

/** The Confluent topic-name strategy: a topic's values live under {@code <topic>-value}, its keys under {@code <topic>-key}. */
public final class Subjects {
    private Subjects() {
    }

    public static String of(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    public static String value(String topic) {
        return of(topic, false);
    }
}
