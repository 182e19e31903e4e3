package io.soma.streams.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names the chart's Grafana dashboards and alert rules read, and the names a {@code /metrics} scrape
 * exports, so a test can check the one against the other on a live process.
 */
public final class DashboardMetrics {
    private static final Path MONITORING = Path.of("../helm/soma-streams/monitoring");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Quoted strings, label matchers, ranges and the label lists of by/without/on/ignoring/group_*: no metric there. */
    private static final Pattern NOT_A_METRIC = Pattern.compile(
            "\"[^\"]*\"|\\{[^}]*}|\\[[^]]*]|\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    /** A name not followed by "(": a function's is. */
    private static final Pattern IDENTIFIER = Pattern.compile("\\b[a-zA-Z_:][a-zA-Z0-9_:]*\\b(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");
    /** The names a family of each type exposes samples under, as suffixes of the family's name. */
    private static final Map<String, Set<String>> SAMPLE_SUFFIXES = Map.of(
            "counter", Set.of("", "_total"),
            "histogram", Set.of("", "_bucket", "_sum", "_count"),
            "summary", Set.of("", "_sum", "_count"));
    private static final Pattern QUANTILE_ALERT = Pattern.compile(
            "histogram_quantile\\(.*?\\b([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\\b.*\\)\\s*>\\s*([0-9.]+)");
    private static final Pattern TYPE_LINE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");
    /**
     * Labelled families that have no series until their event happens, which a short test cannot wait for: a
     * forecast's error needs a day of closed windows, an alert a budget crossing a threshold, a rejection a bad
     * bundle, an incomplete evaluation a rule that times out, a model's gauges a minute of its requests closed in
     * event time (on the shared broker, other tests' event time decides when; {@code SlmEdgeIT} checks their samples
     * on a stack of its own). These must be families the live process registered.
     */
    public static final Set<String> BORN_OF_AN_EVENT = Set.of("token_forecast_wape", "budget_alerts_total",
            "constitution_rejections_total", "policy_evaluation_incomplete_total", "slm_latency_p95_seconds",
            "slm_error_rate", "slm_window_end_timestamp_seconds");

    private DashboardMetrics() {
    }

    /** Every metric an expression of {@code dashboards.yaml} or {@code rules.yaml} reads. */
    public static Set<String> named() {
        Set<String> named = new TreeSet<>();
        try {
            YAML.readTree(MONITORING.resolve("dashboards.yaml").toFile()).forEach(dashboard ->
                    dashboard.get("panels").forEach(panel -> named.addAll(metrics(panel.get("expr").asText()))));
            YAML.readTree(MONITORING.resolve("rules.yaml").toFile()).get("groups").forEach(group ->
                    group.get("rules").forEach(rule -> named.addAll(metrics(rule.get("expr").asText()))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chart's monitoring files under " + MONITORING, e);
        }
        return named;
    }

    /**
     * The thresholds alert rules set on a histogram's quantile ({@code histogram_quantile(…name_bucket…) > T}), by
     * histogram name: a quantile past the highest finite bucket reads as that bucket's bound, so such an alert fires
     * only if some finite bucket lies above its threshold.
     */
    public static Map<String, Double> quantileThresholds() {
        Map<String, Double> thresholds = new TreeMap<>();
        try {
            YAML.readTree(MONITORING.resolve("rules.yaml").toFile()).get("groups").forEach(group ->
                    group.get("rules").forEach(rule -> {
                        Matcher quantile = QUANTILE_ALERT.matcher(rule.get("expr").asText());
                        if (quantile.find()) {
                            thresholds.put(quantile.group(1), Double.parseDouble(quantile.group(2)));
                        }
                    }));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chart's alert rules under " + MONITORING, e);
        }
        return thresholds;
    }

    /** The highest finite {@code le} of histogram {@code name}'s buckets in a scrape; NaN when it has none. */
    public static double highestFiniteBucket(String scrape, String name) {
        Matcher bucket = Pattern.compile("(?m)^" + Pattern.quote(name) + "_bucket\\{[^}]*le=\"([^\"]+)\"")
                .matcher(scrape);
        double highest = Double.NaN;
        while (bucket.find()) {
            if (bucket.group(1).equals("+Inf")) {
                continue;
            }
            double le = Double.parseDouble(bucket.group(1));
            if (!(le <= highest)) {
                highest = le;
            }
        }
        return highest;
    }

    /** The metric names a PromQL expression reads. */
    static Set<String> metrics(String expr) {
        Set<String> names = new HashSet<>();
        Matcher identifiers = IDENTIFIER.matcher(NOT_A_METRIC.matcher(expr).replaceAll(" "));
        while (identifiers.find()) {
            if (!KEYWORDS.contains(identifiers.group())) {
                names.add(identifiers.group());
            }
        }
        return names;
    }

    /**
     * The value of the first sample of {@code name} in a scrape in the text format whose labels include
     * {@code labels}; empty when there is none.
     */
    public static OptionalDouble sample(String scrape, String name, Map<String, String> labels) {
        return scrape.lines().filter(line -> line.startsWith(name + "{"))
                .filter(line -> labels.entrySet().stream().allMatch(label -> {
                    String pair = label.getKey() + "=\"" + label.getValue() + "\"";
                    return line.contains("{" + pair) || line.contains("," + pair);
                }))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst();
    }

    /** Every sample name a scrape in the text format can hold, from its {@code # TYPE} lines. */
    public static Set<String> exported(String scrape) {
        Set<String> names = new HashSet<>();
        Matcher types = TYPE_LINE.matcher(scrape);
        while (types.find()) {
            String type = types.group(2);
            String family = type.equals("counter") ? types.group(1).replaceFirst("_total$", "") : types.group(1);
            SAMPLE_SUFFIXES.getOrDefault(type, Set.of("")).forEach(suffix -> names.add(family + suffix));
        }
        return names;
    }
}
