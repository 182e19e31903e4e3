package io.soma.streams.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The nightly regression check (issue 20): runs {@link PolicyEvaluatorBenchmark} at a fixed small size, writes the
 * ratios of each baseline's p50 to the evaluator's p50 in the same run (how many times faster the evaluator is:
 * ratios, not absolute times, so a loaded or different machine moves them less), and compares them with the
 * committed baseline through {@link RatioComparison}. Exit status 1 when a ratio regressed beyond the noise band or
 * is missing, 2 when there is no baseline to compare with.
 * <p>
 * Settings (system properties): {@code bench.baseline} (bench/baseline/ratios.json), {@code bench.out}
 * (bench/target/ratios.json), {@code bench.band} (one band for every ratio instead of the baseline file's
 * {@code bands}), {@code soma.data.dir} (../shared/data).
 */
public final class BenchmarkRegression {
    private static final String[] PACKS = {"100", "1000", "example"};
    private static final String[] TEXTS = {"xstest", "1kb"};
    private static final String EVALUATOR = "evaluate";
    private static final String[] BASELINES = {"ruleByRule", "oneAlternation"};
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchmarkRegression() {
    }

    public static void main(String[] args) throws Exception {
        Path baselineFile = Path.of(System.getProperty("bench.baseline", "bench/baseline/ratios.json"));
        Path out = Path.of(System.getProperty("bench.out", "bench/target/ratios.json"));
        String loadBefore = MachineLoad.oneMinute();
        Map<String, Double> ratios = ratios(new Runner(options()).run());
        String load = loadBefore + " → " + MachineLoad.oneMinute();

        ObjectNode run = JSON.createObjectNode().put("measured", Instant.now().toString()).put("load", load);
        ratios.forEach(run.putObject("ratios")::put);
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writeValue(out.toFile(), run);
        System.out.printf("%nratios (load average, 1 min, before → after: %s) written to %s%n", load, out);
        ratios.forEach((name, ratio) -> System.out.printf("  %-48s %10.2f%n", name, ratio));

        if (!Files.exists(baselineFile)) {
            System.out.printf("no baseline at %s: review %s and commit it there (with \"bands\") to start comparing%n",
                    baselineFile, out);
            System.exit(2);
        }
        JsonNode baseline = JSON.readTree(baselineFile.toFile());
        Map<String, Double> baselineRatios = numbers(baseline.path("ratios"));
        Map<String, Double> bands = numbers(baseline.path("bands"));
        String oneBand = System.getProperty("bench.band");
        if (oneBand != null) {
            baselineRatios.keySet().forEach(name -> bands.put(name, Double.parseDouble(oneBand)));
        }
        RatioComparison.Outcome outcome = RatioComparison.compare(baselineRatios, bands, ratios);

        System.out.printf("%nagainst %s (measured %s, load %s):%n", baselineFile,
                baseline.path("measured").asText(), baseline.path("load").asText());
        outcome.regressions().forEach(r -> System.out.printf(
                "  REGRESSED %-38s %8.2f → %8.2f (%+.0f %%, band %.0f %%)%n",
                r.name(), r.baseline(), r.current(), r.change() * 100, bands.get(r.name()) * 100));
        outcome.missing().forEach(name -> System.out.printf("  MISSING   %s (in the baseline, not in this run)%n", name));
        outcome.unbaselined().forEach(name -> System.out.printf("  new       %s (not in the baseline yet)%n", name));
        System.out.println(outcome.passed() ? "no regression" : "regression");
        // JMH leaves no threads behind, but say the result through the exit status whatever happened
        System.exit(outcome.passed() ? 0 : 1);
    }

    private static Map<String, Double> numbers(JsonNode object) {
        Map<String, Double> numbers = new TreeMap<>();
        object.fields().forEachRemaining(e -> numbers.put(e.getKey(), e.getValue().asDouble()));
        return numbers;
    }

    /** The evaluator and both baselines on each pack and text: about 18 × 7 s plus the forks' start. */
    private static Options options() {
        return new OptionsBuilder()
                .include(PolicyEvaluatorBenchmark.class.getName() + "\\.(" + EVALUATOR + "|"
                        + String.join("|", BASELINES) + ")$")
                .param("pack", PACKS)
                .param("text", TEXTS)
                .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(1))
                .forks(1)
                .jvmArgsAppend("-Dsoma.data.dir=" + System.getProperty("soma.data.dir", "../shared/data"))
                .build();
    }

    /** "pack/text/baseline÷evaluator" → baseline p50 ÷ evaluator p50 for every pack and text. */
    private static Map<String, Double> ratios(Collection<RunResult> results) {
        Map<String, Double> p50 = new HashMap<>();
        for (RunResult result : results) {
            String label = result.getParams().getBenchmark();
            String method = label.substring(label.lastIndexOf('.') + 1);
            p50.put(result.getParams().getParam("pack") + "/" + result.getParams().getParam("text") + "/" + method,
                    result.getPrimaryResult().getStatistics().getPercentile(50));
        }
        Map<String, Double> ratios = new TreeMap<>();
        for (String pack : PACKS) {
            for (String text : TEXTS) {
                String cell = pack + "/" + text + "/";
                Double evaluator = p50.get(cell + EVALUATOR);
                for (String baseline : BASELINES) {
                    Double other = p50.get(cell + baseline);
                    if (evaluator != null && other != null) {
                        ratios.put(cell + baseline + "÷" + EVALUATOR, other / evaluator);
                    }
                }
            }
        }
        return ratios;
    }
}
