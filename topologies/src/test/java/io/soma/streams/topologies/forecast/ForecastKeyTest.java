package io.soma.streams.topologies.forecast;

import io.soma.streams.schemas.GroupedKey;
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
        String prefixOfA = GroupedKey.prefix("a");

        assertThat(keys.subSet(prefixOfA, prefixOfA + Character.MAX_VALUE)).extracting(ForecastKey::fromStoreKey)
                .extracting(ForecastKey::model).containsExactly("claude-3-5-haiku", "gpt-4o");
    }

    @Test
    void shouldRefuseANulInAnyPartBecauseItSeparatesThem() {
        assertThatThrownBy(() -> new ForecastKey("a", "openai", "gpt\u00004o"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not contain NUL");
        assertThatThrownBy(() -> new ForecastKey("a\u0000b", "openai", "gpt-4o"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not contain NUL");
    }

    @Test
    void shouldRefuseAKeyThatIsNotTenantProviderModel() {
        assertThatThrownBy(() -> ForecastKey.fromStoreKey("just-a-tenant"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant, provider, model");
    }

    @Test
    void shouldKeepACapsulesKeysApartFromItsModelsAndInItsTenantsGroup() {
        ForecastKey model = new ForecastKey("a", "openai", "gpt-4o");
        CapsuleKey capsule = new CapsuleKey(model, "io.github.example/weather");

        assertThat(capsule.storeKey()).isNotEqualTo(model.storeKey()).startsWith(GroupedKey.prefix("a"));
        assertThat(capsule.summaryKey()).startsWith(GroupedKey.prefix("a"));
        assertThat(CapsuleKey.capsuleOfSummaryKey(capsule.summaryKey())).isEqualTo("io.github.example/weather");
        assertThatThrownBy(() -> new CapsuleKey(model, "weather\u0000x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not contain NUL");
    }
}
