package io.soma.streams.edge.replay;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a replay drill copied and found, per topic; {@link #identical()} is its verdict. {@code inputsArrivedDuring}
 * counts the records written to the copied topics while the drill ran: their live outputs have no rebuilt twin.
 */
public record ReplayReport(String source, String runId, Map<String, Long> copied, long inputsArrivedDuring,
                           List<OutputComparison.TopicResult> results, Map<String, String> notCompared,
                           Duration took) {

    /** True when every compared output matched record for record. */
    public boolean identical() {
        return results.stream().allMatch(OutputComparison.TopicResult::same);
    }

    public OutputComparison.TopicResult result(String topic) {
        return results.stream().filter(r -> r.topic().equals(topic)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(topic + " is not compared"));
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        out.append("replay drill ").append(runId).append(": the inputs of ").append(source)
                .append(" rebuilt under fresh application ids (").append(runId).append("-<app>) in ")
                .append(took.toMillis() / 1000.0).append(" s\n\ncopied:");
        copied.forEach((topic, n) -> out.append(' ').append(topic).append(' ').append(n));
        if (inputsArrivedDuring > 0) {
            out.append("\n\nwarning: ").append(inputsArrivedDuring).append(" input record(s) arrived while the drill ran;"
                    + " their live outputs show as \"only in the old output\": run it on quiet inputs");
        }
        out.append("\n\n| topic | old | rebuilt | identical | differing | fields cleared (wall clock) | order compared per |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (OutputComparison.TopicResult r : results) {
            out.append("| ").append(r.topic()).append(" | ").append(r.oldRecords()).append(" | ")
                    .append(r.newRecords()).append(" | ").append(r.identical()).append(" | ").append(r.differing())
                    .append(" | ").append(r.rules().masked().isEmpty() ? "none" : String.join(", ", r.rules().masked()))
                    .append(" | key").append(r.rules().sequencedBy() == null ? "" : " and " + r.rules().sequencedBy())
                    .append(" |\n");
        }
        results.stream().filter(r -> !r.same()).forEach(r ->
                out.append("\nfirst difference in ").append(r.topic()).append(": ").append(r.firstDifference()).append('\n'));
        out.append("\nnot compared:\n");
        notCompared.forEach((topic, why) -> out.append("- ").append(topic).append(": ").append(why).append('\n'));
        long differing = results.stream().mapToLong(OutputComparison.TopicResult::differing).sum();
        out.append('\n').append(identical() ? "IDENTICAL: every compared record matched"
                : "DIFFERENT: " + differing + " record(s) differ").append('\n');
        return out.toString();
    }
}
