package io.soma.streams.topologies.slm;

import java.util.Objects;

/**
 * One completed request to a model at a provider, as the SLM metrics see it: the topology builds it from a
 * {@code conversation.events} record, the replayer from an LLMPerf measurement. Absent measurements stay
 * absent ({@code null}); nothing is filled in.
 *
 * @param failed             the request failed (status error or timeout)
 * @param endToEndLatencyMs  request sent to last token received, in milliseconds
 * @param timeToFirstTokenMs request sent to first token received, in milliseconds
 */
public record SlmRequest(
        String model,
        String provider,
        boolean failed,
        Double endToEndLatencyMs,
        Double timeToFirstTokenMs,
        Integer inputTokens,
        Integer outputTokens) {

    public SlmRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(provider, "provider");
    }

    /** The key of {@code slm.metrics} and {@code slm.alerts}. */
    public static String key(String model, String provider) {
        return model + "@" + provider;
    }

    public String key() {
        return key(model, provider);
    }
}
