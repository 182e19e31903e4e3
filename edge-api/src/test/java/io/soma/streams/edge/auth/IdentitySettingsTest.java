package io.soma.streams.edge.auth;

import io.soma.streams.topologies.runtime.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdentitySettingsTest {

    @Test
    void shouldRefuseToGoWithoutAWrapSecret() {
        assertThatThrownBy(() -> IdentitySettings.from(Settings.of(Map.of())))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("is required");
    }

    @Test
    void shouldStartWithoutABootstrapAdminByDefault() {
        IdentitySettings settings = IdentitySettings.from(Settings.of(Map.of("identity.keys.wrap.secret",
                KeySeal.newWrapSecret())));

        assertThat(settings.bootstrapAdmin()).isEmpty();
        assertThat(settings.lifetime().retiredKeyLifetime()).isEqualTo(Duration.ofHours(1).plusSeconds(30));
        assertThat(settings.postgresSchema()).isEqualTo("soma");
    }

    @Test
    void shouldReadTheBootstrapAdminWithoutEverPrintingItsKey() {
        String apiKey = AuthTestSupport.randomKey();

        IdentitySettings settings = IdentitySettings.from(Settings.of(Map.of("identity.bootstrap.api.key", apiKey,
                "identity.keys.wrap.secret", KeySeal.newWrapSecret())));

        assertThat(settings.bootstrapAdmin()).hasValueSatisfying(admin -> {
            assertThat(admin.apiKey()).isEqualTo(apiKey);
            assertThat(admin.subject()).isEqualTo("admin");
        });
        assertThat(settings.toString()).doesNotContain(apiKey);
    }

    @Test
    void shouldRefuseAWeakBootstrapKeyOrAWrongSizedSecretWithoutQuotingThem() {
        assertThatThrownBy(() -> IdentitySettings.from(Settings.of(Map.of("identity.bootstrap.api.key", "hunter2",
                "identity.keys.wrap.secret", KeySeal.newWrapSecret()))))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> IdentitySettings.from(Settings.of(Map.of("identity.keys.wrap.secret", "c2hvcnQ="))))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageNotContaining("c2hvcnQ=");
    }

    @Test
    void shouldRefuseNoPlaceForApiKeyLookups() {
        assertThatThrownBy(() -> IdentitySettings.from(Settings.of(Map.of("identity.apikey.lookups.concurrent", "0",
                "identity.keys.wrap.secret", KeySeal.newWrapSecret()))))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("identity.apikey.lookups.concurrent must be at least 1");
    }
}
