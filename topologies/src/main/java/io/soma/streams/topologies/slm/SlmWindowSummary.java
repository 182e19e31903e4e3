package io.soma.streams.topologies.slm;

/**
 * What one window of one model@provider says (the fields of {@code SlmMetricsWindow}). Latency fields and
 * the score are {@code null} when no successful request was measured in the window.
 *
 * @param errorRate             errors / requests, 0 without requests
 * @param outputTokensPerSecond generation speed: Σ output tokens / Σ (end-to-end − TTFT) over successful
 *                              requests, {@code null} when none had a generation time
 * @param requestsPerSecond     requests / window length in seconds
 */
public record SlmWindowSummary(
        long requests,
        long errors,
        double errorRate,
        long inputTokens,
        long outputTokens,
        Double latencyP50Ms,
        Double latencyP95Ms,
        Double latencyP99Ms,
        Double ttftP50Ms,
        Double ttftP95Ms,
        Double outputTokensPerSecond,
        double requestsPerSecond,
        Double score) {
}
