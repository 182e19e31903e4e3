package io.soma.streams.edge.budget;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.topologies.budget.BudgetValidation;

import java.util.Map;

/**
 * What a step is expected to use, reserved before it is published: the prompt's tokens estimated from its text, an
 * ASCII character at {@value #CHARS_PER_TOKEN} a token (the usual rule of thumb for English with BPE tokenizers) and
 * any other character at a token each (Chinese, Japanese or Korean text takes about a token a character, four times
 * the English rule, which reserved a quarter of what such a step then spent), or as the body declares them
 * ({@code prompt_tokens}) when that is more; and the declared {@code max_completion_tokens}, absent = the budget app's
 * configured default. Settlement replaces the estimate by the tokens the response reports.
 */
public record StepEstimate(long promptTokens, Long maxCompletionTokens) {
    static final int CHARS_PER_TOKEN = 4;

    public static StepEstimate of(JsonNode body, String content) {
        Long declared = inRange(body, "prompt_tokens");
        long fromText = content == null ? 0 : tokensOf(content);
        // a declared count may correct the rule of thumb upwards, not reserve less than the text is: a step declaring
        // 0 would reserve nothing, and as many as were sent at once would all pass a hard limit
        long prompt = declared == null ? fromText : Math.max(declared, fromText);
        return new StepEstimate(prompt, inRange(body, "max_completion_tokens"));
    }

    private static long tokensOf(String text) {
        long ascii = text.chars().filter(c -> c < 0x80).count();
        long others = text.codePoints().filter(c -> c >= 0x80).count();
        return (ascii + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN + others;
    }

    private static Long inRange(JsonNode body, String field) {
        Long value = JsonBody.optionalLong(body, field);
        if (value != null && !BudgetValidation.stepTokensInRange(value)) {
            throw ApiException.unprocessable(field + " must be in 0.." + BudgetValidation.MAX_STEP_TOKENS + ", got "
                    + value, Map.of("field", field));
        }
        return value;
    }
}
