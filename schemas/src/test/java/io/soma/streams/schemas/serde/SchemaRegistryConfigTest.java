package io.soma.streams.schemas.serde;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistryConfigTest {

    @Test
    void shouldReadTheConfluentKeysFromAKafkaConfigMap() {
        SchemaRegistryConfig config = SchemaRegistryConfig.from(Map.of(
                "schema.registry.url", "http://127.0.0.1:8081/apis/ccompat/v7",
                "basic.auth.user.info", "soma:secret",
                "schema.registry.max.retries", "5",
                "schema.registry.request.timeout.ms", 2500,
                "bootstrap.servers", "127.0.0.1:9092"));

        assertThat(config).isEqualTo(new SchemaRegistryConfig("http://127.0.0.1:8081/apis/ccompat/v7", "soma:secret",
                5, Duration.ofMillis(2500)));
    }

    @Test
    void shouldAutoRegisterUnlessTurnedOff() {
        assertThat(SchemaRegistryConfig.autoRegister(Map.of())).isTrue();
        assertThat(SchemaRegistryConfig.autoRegister(Map.of("auto.register.schemas", "false"))).isFalse();
    }

    @Test
    void shouldShowNeitherPasswordWhenLoggedNorInAnUnparseableUrlsError() {
        SchemaRegistryConfig config = new SchemaRegistryConfig("http://reader:url-secret@registry:8081", "soma:auth-secret",
                3, Duration.ofSeconds(1));
        assertThat(config.toString()).doesNotContain("url-secret", "auth-secret").contains("registry:8081");
        assertThatThrownBy(() -> SchemaRegistryConfig.of("http://reader:bad secret^@registry:8081"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a URL")
                .hasMessageNotContaining("bad secret");
    }

    /** The runbook's http://user:password@registry form: Java's HTTP client sent no credentials of it (401). */
    @Test
    void shouldTakeTheUrlsUserInfoAsTheBasicAuthUnlessItIsSet() {
        SchemaRegistryConfig fromUrl = SchemaRegistryConfig.of("http://soma:p%40ss+word@registry:8081/apis/ccompat/v7");
        SchemaRegistryConfig both = new SchemaRegistryConfig("http://reader:url-secret@registry:8081", "soma:auth-secret",
                3, Duration.ofSeconds(1));

        assertThat(fromUrl.basicAuthUserInfo()).isEqualTo("soma:p@ss+word");
        assertThat(fromUrl.url()).isEqualTo("http://registry:8081/apis/ccompat/v7");
        assertThat(both.basicAuthUserInfo()).isEqualTo("soma:auth-secret");
        assertThat(both.url()).isEqualTo("http://registry:8081");
    }

    @Test
    void shouldRequireTheRegistryUrl() {
        assertThatThrownBy(() -> SchemaRegistryConfig.from(Map.of("bootstrap.servers", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
    }
}
