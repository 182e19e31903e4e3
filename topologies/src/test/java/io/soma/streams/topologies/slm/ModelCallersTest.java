package io.soma.streams.topologies.slm;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelCallersTest {

    @Test
    void shouldListEachTenantOnceInTheOrderItFirstCalled() {
        ModelCallers callers = ModelCallers.NONE.with("acme").with("bcorp");

        assertThat(callers.with("acme")).isSameAs(callers);
        assertThat(callers.tenants()).containsExactly("acme", "bcorp");
        assertThat(callers.visibleTo("bcorp")).isTrue();
        assertThat(callers.visibleTo("ccorp")).isFalse();
        assertThat(ModelCallers.NONE.visibleTo("acme")).isFalse();
    }

    @Test
    void shouldBeEveryTenantsModelPastTheLastItLists() {
        ModelCallers full = ModelCallers.NONE;
        for (int i = 0; i < ModelCallers.MAX_LISTED; i++) {
            full = full.with("tenant-" + i);
        }
        ModelCallers past = full.with("one-more");

        assertThat(full.everyTenant()).isFalse();
        assertThat(full.visibleTo("one-more")).isFalse();
        assertThat(past.everyTenant()).isTrue();
        assertThat(past.tenants()).isEmpty();
        assertThat(past.visibleTo("anyone")).isTrue();
        assertThat(past.with("another")).isSameAs(past);
    }

    @Test
    void shouldReadBackWhatItWroteAndRefuseAnotherFormat() {
        ModelCallers callers = ModelCallers.NONE.with("acme").with("ünïcode-tenant");
        ModelCallers every = IntStream.rangeClosed(0, ModelCallers.MAX_LISTED).mapToObj(i -> "t" + i)
                .reduce(ModelCallers.NONE, ModelCallers::with, (a, b) -> b);

        assertThat(ModelCallers.fromBytes(callers.toBytes())).isEqualTo(callers);
        assertThat(ModelCallers.fromBytes(every.toBytes())).isEqualTo(every);
        assertThat(ModelCallers.fromBytes(null)).isEqualTo(ModelCallers.NONE);
        byte[] other = callers.toBytes();
        other[0] = 2;
        assertThatThrownBy(() -> ModelCallers.fromBytes(other)).hasMessageContaining("format version 1");
        byte[] truncated = Arrays.copyOf(callers.toBytes(), callers.toBytes().length - 2);
        assertThatThrownBy(() -> ModelCallers.fromBytes(truncated)).hasMessageContaining("truncated");
    }
}
