package io.soma.streams.topologies.runtime;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.topologies.budget.BudgetValidation;

/**
 * The measurements a conversation event reports, checked before an app counts them. A refused event throws
 * {@link IllegalArgumentException} with the reason, so it goes to the dead-letter topic and the stream goes on.
 */
public final class EventMeasures {
    private EventMeasures() {
    }

    /**
     * {@code e} when its token counts are in 0..{@value BudgetValidation#MAX_STEP_TOKENS}, as the budget app takes
     * them: a negative one (-1 for "unknown") would make negative usage and the forecaster's log of a day NaN.
     */
    public static ConversationEvent requireTokenCounts(ConversationEvent e) {
        if (!countable(e.getPromptTokens()) || !countable(e.getCompletionTokens())) {
            throw new IllegalArgumentException("token counts must be 0.." + BudgetValidation.MAX_STEP_TOKENS
                    + ", got prompt_tokens " + e.getPromptTokens() + " and completion_tokens "
                    + e.getCompletionTokens());
        }
        return e;
    }

    /** How far a first token may be reported after the end: the two durations may be rounded apart. */
    public static final double ROUNDING_MS = 1;
    /** The longest request taken as real: a longer one is more likely another unit (µs or ns sent as ms). */
    public static final double MAX_DURATION_MS = 86_400_000;

    /**
     * {@code e} when its latency and time to first token are finite, in 0..{@value #MAX_DURATION_MS} ms, and the
     * first token did not come after the end (but for {@value #ROUNDING_MS} ms of rounding). A sketch takes a negative value as a real one (quantiles at or below
     * 0 ms) and counts NaN as 0, which would hide a slow model; one value 10^8 times the others collapses every
     * other sample into one bin of the bounded sketch, so all its quantiles read that value; a first token after the
     * end makes a negative generation time, which inflates the window's tokens per second.
     */
    public static ConversationEvent requireDurations(ConversationEvent e) {
        if (!duration(e.getLatencyMs()) || !duration(e.getTtftMs())) {
            throw new IllegalArgumentException("latency_ms and ttft_ms must be finite and in 0.." + (long) MAX_DURATION_MS
                    + " ms, got " + e.getLatencyMs() + " and " + e.getTtftMs());
        }
        if (e.getLatencyMs() != null && e.getTtftMs() != null && e.getTtftMs() > e.getLatencyMs() + ROUNDING_MS) {
            throw new IllegalArgumentException("ttft_ms must not exceed latency_ms: the first token came before the "
                    + "end, got ttft_ms " + e.getTtftMs() + " and latency_ms " + e.getLatencyMs());
        }
        return e;
    }

    private static boolean countable(Integer tokens) {
        return tokens == null || BudgetValidation.stepTokensInRange(tokens);
    }

    private static boolean duration(Double millis) {
        return millis == null || (millis >= 0 && millis <= MAX_DURATION_MS);
    }
}
