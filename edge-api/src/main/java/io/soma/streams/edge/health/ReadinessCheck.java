package io.soma.streams.edge.health;

import java.util.function.Supplier;

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

    /** A check named {@code name} that answers with the two suppliers. */
    static ReadinessCheck of(String name, Supplier<String> problem, Supplier<String> failedForGood) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String problem() {
                return problem.get();
            }

            @Override
            public String failedForGood() {
                return failedForGood.get();
            }
        };
    }
}
