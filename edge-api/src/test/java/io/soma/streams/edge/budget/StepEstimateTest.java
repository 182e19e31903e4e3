package io.soma.streams.edge.budget;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.edge.http.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StepEstimateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldReserveTheDeclaredTokensWhenTheBodyHasThem() throws Exception {
        StepEstimate estimate = StepEstimate.of(
                JSON.readTree("{\"prompt_tokens\": 4808, \"max_completion_tokens\": 10}"), "text the count wins over");

        assertThat(estimate).isEqualTo(new StepEstimate(4808, 10L));
    }

    /** Declaring 0 would reserve nothing: any number of such steps sent at once would pass a hard limit. */
    @Test
    void shouldNotReserveLessThanTheTextForADeclaredCountBelowIt() throws Exception {
        String text = "x".repeat(4000);

        StepEstimate estimate = StepEstimate.of(JSON.readTree("{\"prompt_tokens\": 0, \"max_completion_tokens\": 5}"),
                text);

        assertThat(estimate).isEqualTo(new StepEstimate(1000, 5L));
    }

    @Test
    void shouldEstimateThePromptFromItsTextAndLeaveTheCompletionToTheAppsDefault() throws Exception {
        // 9 characters: 3 tokens at 4 characters a token, rounded up
        assertThat(StepEstimate.of(JSON.readTree("{}"), "123456789")).isEqualTo(new StepEstimate(3, null));
        assertThat(StepEstimate.of(JSON.readTree("{}"), null)).isEqualTo(new StepEstimate(0, null));
    }

    /** Chinese takes about a token a character: at four a token a step would reserve a quarter of its spend. */
    @Test
    void shouldEstimateACharacterOutsideAsciiAtATokenEach() throws Exception {
        String chinese = "请用中文总结这段对话的要点"; // 13 characters
        assertThat(StepEstimate.of(JSON.readTree("{}"), chinese.repeat(300)).promptTokens()).isEqualTo(3900);
        // a character beyond the BMP (two chars in Java) is one character
        assertThat(StepEstimate.of(JSON.readTree("{}"), "hello 😀").promptTokens()).isEqualTo(2 + 1);
    }

    @Test
    void shouldRefuseANegativeCountNamingTheField() throws Exception {
        assertThatThrownBy(() -> StepEstimate.of(JSON.readTree("{\"max_completion_tokens\": -1}"), "hi"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.details()).containsEntry("field", "max_completion_tokens");
                });
    }

    @Test
    void shouldRefuseACountThatCouldOverflowTheLedgersSums() throws Exception {
        assertThatThrownBy(() -> StepEstimate.of(JSON.readTree("{\"prompt_tokens\": 9223372036854775807}"), "hi"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.details()).containsEntry("field", "prompt_tokens");
                });
        assertThat(StepEstimate.of(JSON.readTree("{\"prompt_tokens\": 1000000000}"), "hi").promptTokens())
                .isEqualTo(1_000_000_000L);
    }
}
