package io.soma.streams.topologies.policy.constitution;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CanonicalJsonTest {
    @Test
    void shouldSortKeysAtEveryDepthAndDropWhitespace() throws JsonProcessingException {
        String canonical = CanonicalJson.canonicalize("""
                { "b" : [ {"z":1, "a":2} ], "a" : { "y" : null, "x" : true } }""");

        assertThat(canonical).isEqualTo("{\"a\":{\"x\":true,\"y\":null},\"b\":[{\"a\":2,\"z\":1}]}");
    }

    @Test
    void shouldKeepNumbersAndUnicodeAsWritten() throws JsonProcessingException {
        String canonical = CanonicalJson.canonicalize("{\"w\":0.35,\"one\":1.0,\"big\":12345678901234567890,\"t\":\"Grüße \\u00e9\\n\"}");

        assertThat(canonical).isEqualTo("{\"big\":12345678901234567890,\"one\":1.0,\"t\":\"Grüße é\\n\",\"w\":0.35}");
    }

    @Test
    void shouldHashTheUtf8BytesWithSha256() {
        // SHA-256("abc") from FIPS 180-2
        assertThat(CanonicalJson.sha256Hex("abc".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void shouldRefuseDuplicateKeysAndTrailingContent() {
        assertThatThrownBy(() -> CanonicalJson.canonicalize("{\"a\":1,\"a\":2}")).isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> CanonicalJson.canonicalize("{\"a\":1} {}")).isInstanceOf(JsonProcessingException.class);
    }
}
