package io.soma.streams.schemas;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactedUrlTest {

    @Test
    void shouldMaskThePasswordOfARedisUrl() {
        assertThat(RedactedUrl.of("redis://:s3cr3t-pass@redis.internal:6379/0"))
                .isEqualTo("redis://:****@redis.internal:6379/0");
        assertThat(RedactedUrl.of("rediss://soma:s3cr3t-pass@redis.internal:6380"))
                .isEqualTo("rediss://soma:****@redis.internal:6380");
    }

    @Test
    void shouldMaskAUserInfoWithoutAColonWhole() {
        assertThat(RedactedUrl.of("redis://s3cr3t-pass@redis.internal:6379")).isEqualTo("redis://****@redis.internal:6379");
    }

    @Test
    void shouldMaskAPasswordHoldingAnUnescapedAt() {
        assertThat(RedactedUrl.of("redis://:p@ss@redis.internal:6379")).isEqualTo("redis://:****@redis.internal:6379");
    }

    /** A raw base64 password, not percent-encoded: '/', '+', '?' and '#' end no user info. */
    @Test
    void shouldMaskAPasswordHoldingCharactersThatEndAnAuthority() {
        assertThat(RedactedUrl.of("redis://:Ab3/x+Yz@redis:6379")).isEqualTo("redis://:****@redis:6379");
        assertThat(RedactedUrl.of("http://u:p?q#r@registry.internal:8081/apis"))
                .isEqualTo("http://u:****@registry.internal:8081/apis");
        assertThat(RedactedUrl.of("redis://:a/b@redis")).isEqualTo("redis://:****@redis");
    }

    @Test
    void shouldMaskSecretParametersOfAJdbcUrl() {
        assertThat(RedactedUrl.of("jdbc:postgresql://db:5432/soma?user=soma&password=s3cr3t&sslmode=require"
                + "&sslpassword=k3y"))
                .isEqualTo("jdbc:postgresql://db:5432/soma?user=soma&password=****&sslmode=require&sslpassword=****");
    }

    @Test
    void shouldLeaveAUrlWithoutCredentialsAsItIs() {
        String url = "http://registry.internal:8081/apis/ccompat/v7?subject=a";
        assertThat(RedactedUrl.of(url)).isEqualTo(url);
    }

    /** Where an '@' of a query could end a user info holding '/' and '?', more is masked, never the secret shown. */
    @Test
    void shouldMaskMoreThanTheSecretRatherThanLess() {
        assertThat(RedactedUrl.of("http://registry.internal:8081/apis/ccompat/v7?subject=a@b"))
                .isEqualTo("http://registry.internal:****@b");
    }
}
