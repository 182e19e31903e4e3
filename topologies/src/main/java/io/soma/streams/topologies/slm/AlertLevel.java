package io.soma.streams.topologies.slm;

/**
 * The state of one alert; the names match the {@code AlertLevel} enum of {@code SlmAlert}. The order is the
 * code in {@link AlertState}'s store format and in severity: add new levels at the end only.
 */
public enum AlertLevel {
    OK, WARNING, BREACH
}
