package io.soma.streams.topologies.forecast;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ForecastKeyTest {

    @Test
    void shouldRoundTripThroughItsStoreKey() {
        ForecastKey key = new ForecastKey("m-large-0", "together", "70b");

        assertThat(ForecastKey.fromStoreKey(key.storeKey())).isEqualTo(key);
    }

    @Test
    void shouldKeepATenantsKeysTogetherAndApartFromATenantWhoseNameExtendsIt() {
        TreeSet<String> keys = new TreeSet<>(List.of(
                new ForecastKey("a", "openai", "gpt-4o").storeKey(),
                new ForecastKey("ab", ForecastKey.UNKNOWN, ForecastKey.UNKNOWN).storeKey(),
                new ForecastKey("a", "anthropic", "claude-3-5-haiku").storeKey()));
        String prefixOfA = new ForecastKey("a", "", "").storeKey().substring(0, 2);

        assertThat(keys.subSet(prefixOfA, prefixOfA + Character.MAX_VALUE)).extracting(ForecastKey::fromStoreKey)
                .extracting(ForecastKey::model).containsExactly("claude-3-5-haiku", "gpt-4o");
    }

    @Test
    void shouldRefuseAKeyThatIsNotTenantProviderModel() {
        assertThatThrownBy(() -> ForecastKey.fromStoreKey("just-a-tenant"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant, provider, model");
    }
}
