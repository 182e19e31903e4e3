package io.soma.streams.topologies.policy.detectors;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.soma.streams.topologies.policy.detectors.DetectorAssertions.found;
import static org.assertj.core.api.Assertions.assertThat;

class SecretDetectorsTest {
    private static List<String> secret(String type, String text) {
        return found(DetectorKind.SECRET, type, text);
    }

    private static final String B62_36 = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";

    @Test
    void shouldFindCloudProviderKeys() {
        assertThat(secret("aws", "id AKIAIOSFODNN7EXAMPLE and aws_secret_access_key = "
                + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).hasSize(2).first().isEqualTo("AKIAIOSFODNN7EXAMPLE");
        assertThat(secret("gcp", "key=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q")).containsExactly(
                "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q");
        assertThat(secret("azure", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey="
                + "a".repeat(40) + "B".repeat(46) + "==;")).hasSize(1);
    }

    @Test
    void shouldNotFindCloudKeyLookAlikes() {
        assertThat(secret("aws", "akiaiosfodnn7example AKIA1234 AKIAIOSFODNN7EXAMPLEXX")).isEmpty();
        assertThat(secret("gcp", "AIza-too-short")).isEmpty();
    }

    @Test
    void shouldFindCodeHostAndSaasTokens() {
        assertThat(secret("github", "token ghp_" + B62_36)).containsExactly("ghp_" + B62_36);
        assertThat(secret("gitlab", "glpat-Ab3dEf6hIj9kLm2nOp5q")).containsExactly("glpat-Ab3dEf6hIj9kLm2nOp5q");
        assertThat(secret("slack", "xoxb-1234567890-abcdefghij")).containsExactly("xoxb-1234567890-abcdefghij");
        assertThat(secret("stripe", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")).containsExactly(
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
    }

    @Test
    void shouldNotFindTokenLookAlikes() {
        assertThat(secret("github", "ghp_short and ghx_" + B62_36)).isEmpty();
        assertThat(secret("stripe", "pk_live_4eC39HqLyjWDarjtT1zdp7dc is publishable")).isEmpty();
        assertThat(secret("slack", "xoxb-short")).isEmpty();
    }

    @Test
    void shouldFindJwtsWhoseHeaderNamesAnAlgorithm() {
        String jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assertThat(secret("jwt", "Authorization: Bearer " + jwt)).containsExactly(jwt);
        assertThat(secret("jwt", "eyJub3Rqc29uIjp9bad.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig")).isEmpty();
    }

    @Test
    void shouldFindPemPrivateKeysButNotPublicKeysOrCertificates() {
        String key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
        assertThat(secret("private_key", "here:\n" + key + "\nthanks")).containsExactly(key);
        assertThat(secret("private_key", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----")).isEmpty();
        assertThat(secret("private_key", "-----BEGIN CERTIFICATE-----")).isEmpty();
    }

    @Test
    void shouldCoverThePrivateKeysBodyAsJsonEscapesItOrWhenItsFooterIsMissing() {
        String escaped = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n";
        assertThat(secret("private_key", "{\"private_key\": \"" + escaped + "\"}"))
                .containsExactly(escaped.substring(0, escaped.length() - 2));
        String cut = "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbCdEf0123+/==";
        assertThat(secret("private_key", cut + " (the rest got lost)")).containsExactly(cut);
    }

    @Test
    void shouldFindDatabaseUrlsWithARealPassword() {
        assertThat(secret("database_url", "DATABASE_URL=postgres://app:s3cr3tP4ss@db.example.com:5432/app"))
                .containsExactly("postgres://app:s3cr3tP4ss@db.example.com:5432");
        assertThat(secret("database_url", "mongodb+srv://u:Xy7%21z@cluster0.mongodb.net")).hasSize(1);
    }

    @Test
    void shouldNotFindDatabaseUrlsWithPlaceholdersOrNoPassword() {
        assertThat(secret("database_url", "postgres://user:password@localhost/db, mysql://root:<pass>@h/db,"
                + " redis://:${REDIS_PASSWORD}@cache:6379, postgres://app@db/app, https://u:p4ss@site.com")).isEmpty();
    }

    @Test
    void shouldFindHighEntropyValuesNextToKeyLikeWordsAboveTheThreshold() {
        assertThat(secret("high_entropy", "api_key = \"x7Kq9ZpL2mVb8RtY4wNc\"")).containsExactly(
                "x7Kq9ZpL2mVb8RtY4wNc");
        assertThat(secret("high_entropy", "my password is x7Kq9ZpL2mVb8RtY4wNc")).hasSize(1);
    }

    @Test
    void shouldCoverAHighEntropyValueHoweverLong() {
        String value = "x7Kq9ZpL2mVb8RtY4wNc".repeat(30);
        assertThat(secret("high_entropy", "token: " + value + " end")).containsExactly(value);
    }

    @Test
    void shouldNotFindLowEntropyValuesOrRandomValuesWithoutAKeyLikeWord() {
        assertThat(SecretDetectors.looksRandom("correcthorsebattery")).isFalse();
        assertThat(secret("high_entropy", "password: correcthorsebattery")).isEmpty();
        assertThat(secret("high_entropy", "token = your_api_key_here_please")).isEmpty();
        assertThat(secret("high_entropy", "the build id is x7Kq9ZpL2mVb8RtY4wNc")).isEmpty();
    }
}
