package io.soma.streams.edge.health;

/** One dependency readiness depends on: a Streams app RUNNING, Redis answering, PostgreSQL answering. */
public interface ReadinessCheck {
    String name();

    /** @return null when ready, else why not */
    String problem();
}
