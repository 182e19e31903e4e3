package io.soma.streams.edge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BodyFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BodyFields budget = BodyFields.of("limit_tokens", "period", "hard");

    @Test
    void shouldTakeTheDeclaredFieldsInAnyNumber() {
        assertThatCode(() -> budget.check(JSON.readTree("{\"limit_tokens\": 5, \"hard\": false}"))).doesNotThrowAnyException();
        assertThatCode(() -> budget.check(JSON.readTree("{}"))).doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseAMisspeltFieldNamingItAndWhatTheRequestTakes() {
        assertThatThrownBy(() -> budget.check(JSON.readTree("{\"limit_tokens\": 5, \"hard_limt\": false}")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.details()).containsEntry("field", "hard_limt");
                    assertThat(e.getMessage()).isEqualTo("unknown field \"hard_limt\": this request takes hard, "
                            + "limit_tokens, period");
                });
    }

    @Test
    void shouldCutALongFieldNameItEchoes() {
        String name = "x".repeat(10_000);
        assertThatThrownBy(() -> budget.check(JSON.createObjectNode().put(name, 1)))
                .isInstanceOfSatisfying(ApiException.class,
                        e -> assertThat((String) e.details().get("field")).hasSize(101).startsWith("xxx").endsWith("…"));
    }
}
