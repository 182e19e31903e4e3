package io.soma.streams.edge.health;

/** One dependency readiness depends on: a Streams app RUNNING, Redis answering, PostgreSQL answering. */
public interface ReadinessCheck {
    String name();

    /** @return null when ready, else why not */
    String problem();

    /**
     * Why this part of the process can never work again without a restart (a Kafka Streams client in ERROR, an SSE
     * hub whose reader stopped); null while it works or may recover by itself. Liveness fails on it.
     */
    default String failedForGood() {
        return null;
    }
}
