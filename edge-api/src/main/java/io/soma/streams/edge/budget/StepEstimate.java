package io.soma.streams.edge.budget;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.topologies.budget.BudgetValidation;

import java.util.Map;

/**
 * What a step is expected to use, reserved before it is published: the prompt's tokens estimated from its text at
 * {@value #CHARS_PER_TOKEN} characters a token (the usual rule of thumb for English with BPE tokenizers), or as the
 * body declares them ({@code prompt_tokens}) when that is more; and the declared {@code max_completion_tokens},
 * absent = the budget app's configured default. Settlement replaces the estimate by the tokens the response reports.
 */
public record StepEstimate(long promptTokens, Long maxCompletionTokens) {
    static final int CHARS_PER_TOKEN = 4;

    public static StepEstimate of(JsonNode body, String content) {
        Long declared = inRange(body, "prompt_tokens");
        long fromText = content == null ? 0 : (content.length() + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
        // a declared count may correct the rule of thumb upwards, not reserve less than the text is: a step declaring
        // 0 would reserve nothing, and as many as were sent at once would all pass a hard limit
        long prompt = declared == null ? fromText : Math.max(declared, fromText);
        return new StepEstimate(prompt, inRange(body, "max_completion_tokens"));
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
