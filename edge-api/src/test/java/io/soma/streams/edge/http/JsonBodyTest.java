package io.soma.streams.edge.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonBodyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldTreatAbsentNullAndBlankTextAsAbsent() throws Exception {
        JsonNode body = JSON.readTree("{\"reason\": null, \"user\": \"  \"}");
        assertThat(JsonBody.text(body, "tenant")).isNull();
        assertThat(JsonBody.text(body, "reason")).isNull();
        assertThat(JsonBody.text(body, "user")).isNull();
    }

    @Test
    void shouldRefuseAMistypedFieldInsteadOfIgnoringIt() throws Exception {
        for (String value : new String[]{"7", "{}", "[\"x\"]", "true"}) {
            JsonNode body = JSON.readTree("{\"reason\": " + value + "}");
            assertThatThrownBy(() -> JsonBody.text(body, "reason")).as(value).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.status()).isEqualTo(400));
        }
    }

    @Test
    void shouldRefuseTextWithANulCharacter() throws Exception {
        JsonNode body = JSON.readTree("{\"tenant\": \"acme\\u0000\"}");
        assertThatThrownBy(() -> JsonBody.required(body, "tenant")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.getMessage()).contains("NUL"));
    }

    @Test
    void shouldReadAPresentString() throws Exception {
        assertThat(JsonBody.required(JSON.readTree("{\"tenant\": \"acme\"}"), "tenant")).isEqualTo("acme");
    }

    @Test
    void shouldReadOptionalNumbersAndBooleansAndRefuseOtherTypes() throws Exception {
        JsonNode body = JSON.readTree("{\"limit\": 1.5, \"hard\": false, \"text\": \"1\", \"none\": null}");
        assertThat(JsonBody.optionalNumber(body, "limit")).isEqualTo(1.5);
        assertThat(JsonBody.optionalNumber(body, "none")).isNull();
        assertThat(JsonBody.optionalBoolean(body, "hard", true)).isFalse();
        assertThat(JsonBody.optionalBoolean(body, "absent", true)).isTrue();
        assertThatThrownBy(() -> JsonBody.optionalNumber(body, "text")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> JsonBody.optionalBoolean(body, "text", true)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(400));
    }
}
