package io.soma.streams.edge.slice;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CloserTest {

    /** A Streams app's threads are not daemons: one left running by a failed start keeps the JVM alive. */
    @Test
    void shouldCloseWhatWasStartedWhenTheStartFailsWithAnErrorToo() {
        for (Throwable failure : List.of(new IllegalStateException("refused"), new NoClassDefFoundError("Missing"))) {
            List<String> closed = new ArrayList<>();

            assertThatThrownBy(() -> Closer.starting(closer -> {
                closer.own(() -> closed.add("first"));
                closer.own(() -> closed.add("second"));
                if (failure instanceof Error error) {
                    throw error;
                }
                throw (RuntimeException) failure;
            })).isSameAs(failure);

            assertThat(closed).as(failure.toString()).containsExactly("second", "first");
        }
    }
}
