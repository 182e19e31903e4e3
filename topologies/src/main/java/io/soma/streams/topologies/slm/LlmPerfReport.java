package io.soma.streams.topologies.slm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Replays each LLMPerf leaderboard file as one window and prints, as a Markdown table, the sketch's
 * quantiles against the exact ones computed from the same requests.
 * Usage: {@code LlmPerfReport [datasets dir, default ../shared/data]}.
 */
public final class LlmPerfReport {
    static final double[] LATENCY_QUANTILES = {0.50, 0.95, 0.99};
    static final double[] TTFT_QUANTILES = {0.50, 0.95};

    private LlmPerfReport() {
    }

    /**
     * The exact lower quantile {@code x[floor(q · (n − 1))]} of ascending {@code sorted} samples: the
     * value DDSketch's relative-error guarantee refers to.
     */
    public static double lowerQuantile(double[] sorted, double quantile) {
        return sorted[(int) Math.floor(quantile * (sorted.length - 1))];
    }

    /** The successful requests' values of one measurement, ascending. */
    static double[] sortedSuccessful(List<SlmRequest> requests, ToDoubleFunction<SlmRequest> value) {
        return requests.stream().filter(r -> !r.failed()).mapToDouble(value).sorted().toArray();
    }

    static double relativeError(double estimate, double exact) {
        return Math.abs(estimate - exact) / Math.abs(exact);
    }

    public static void main(String[] args) {
        Path datasets = Path.of(args.length > 0 ? args[0] : "../shared/data");
        System.out.println("| file | model@provider | requests | errors | error rate | p50 e2e exact / sketch (ms) "
                + "| p95 e2e exact / sketch (ms) | p99 e2e exact / sketch (ms) | p50 TTFT exact / sketch (ms) "
                + "| p95 TTFT exact / sketch (ms) | output tokens/s | max rel. error |");
        System.out.println("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        double overall = 0;
        for (Path file : LlmPerfRecords.files(datasets)) {
            List<SlmRequest> requests = LlmPerfRecords.read(file).stream().map(LlmPerfRecords.Request::toSlmRequest).toList();
            SlmWindowAggregate window = new SlmWindowAggregate();
            requests.forEach(window::add);
            StringBuilder row = new StringBuilder();
            double worst = 0;
            worst = Math.max(worst, cells(row, requests, SlmRequest::endToEndLatencyMs, window::endToEndLatencyMs, LATENCY_QUANTILES));
            worst = Math.max(worst, cells(row, requests, SlmRequest::timeToFirstTokenMs, window::timeToFirstTokenMs, TTFT_QUANTILES));
            overall = Math.max(overall, worst);
            SlmWindowSummary summary = window.summary(Duration.ofMinutes(1));
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.1f %% %s| %s | %.3f %% |%n",
                    file.getFileName(), requests.get(0).key(), summary.requests(), summary.errors(),
                    summary.errorRate() * 100, row, format(summary.outputTokensPerSecond()), worst * 100);
        }
        System.out.printf(Locale.ROOT, "%nlargest relative error over all files and quantiles: %.3f %% (sketch accuracy %.1f %%)%n",
                overall * 100, SlmWindowAggregate.RELATIVE_ACCURACY * 100);
    }

    /** Appends "exact / sketch" cells and returns the largest relative error among them. */
    private static double cells(StringBuilder row, List<SlmRequest> requests, Function<SlmRequest, Double> value,
                                Function<Double, Double> sketch, double[] quantiles) {
        double[] sorted = sortedSuccessful(requests, r -> Objects.requireNonNull(value.apply(r)));
        double worst = 0;
        for (double q : quantiles) {
            if (sorted.length == 0) {
                row.append("| – ");
                continue;
            }
            double exact = lowerQuantile(sorted, q);
            double estimate = sketch.apply(q);
            worst = Math.max(worst, relativeError(estimate, exact));
            row.append(String.format(Locale.ROOT, "| %.1f / %.1f ", exact, estimate));
        }
        return worst;
    }

    private static String format(Double value) {
        return value == null ? "–" : String.format(Locale.ROOT, "%.1f", value);
    }
}
