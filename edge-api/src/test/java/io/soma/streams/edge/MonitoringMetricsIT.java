package io.soma.streams.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.testkit.Await;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every metric the chart's Grafana dashboards and alert rules name is one a real Soma process exports: read from its
 * live {@code /metrics} once a constitution is active, a budget is set, a tenant is in training and a conversation
 * step has gone through the apps, so a renamed metric fails here rather than leaving a panel empty or an alert silent.
 */
class MonitoringMetricsIT {
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
    /**
     * Labelled families that have no series until their event happens, which a short test cannot wait for: a
     * forecast's error needs a day of closed windows, an alert a budget crossing a threshold, a rejection a bad
     * bundle, an incomplete evaluation a rule that times out. These must be families the live process registered.
     */
    private static final Set<String> BORN_OF_AN_EVENT = Set.of("token_forecast_wape", "budget_alerts_total",
            "constitution_rejections_total", "policy_evaluation_incomplete_total");
    private static final Pattern TYPE_LINE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");

    @Test
    void shouldExportEveryMetricTheDashboardsAndRulesName() throws IOException {
        Set<String> named = new TreeSet<>();
        YAML.readTree(MONITORING.resolve("dashboards.yaml").toFile()).forEach(dashboard ->
                dashboard.get("panels").forEach(panel -> named.addAll(metrics(panel.get("expr").asText()))));
        YAML.readTree(MONITORING.resolve("rules.yaml").toFile()).get("groups").forEach(group ->
                group.get("rules").forEach(rule -> named.addAll(metrics(rule.get("expr").asText()))));
        assertThat(named).contains("policy_decision_total", "kafka_streams_consumer_fetch_manager_metrics_records_lag",
                "soma_ready");

        // the example constitution and rule pack are published at start, as in the demo
        Map<String, String> settings = Map.of("edge.management.port", "0", "constitution.trusted.keys", "example",
                "policy.load.examples", "true");
        try (EdgeFixture edge = new EdgeFixture(settings).awaitReady()) {
            String tenant = EdgeFixture.tenants("monitoring", 1).get(0);
            String admin = edge.tokenFor(tenant, "monitor", Capability.tenantAdmin());
            assertThat(edge.send(edge.request("/v1/budgets/" + tenant + "/monitoring", admin)
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
                            EdgeFixture.json(Map.of("limit_tokens", 1_000_000_000L, "period", "DAY"))))).statusCode())
                    .isEqualTo(200);
            assertThat(edge.post("/v1/training/enable", admin, EdgeFixture.json(Map.of("tenant", tenant,
                    "reason", "monitoring metrics"))).statusCode()).isEqualTo(200);
            assertThat(edge.post("/v1/conversation/step", admin, EdgeFixture.json(Map.of("tenant", tenant,
                    "session_id", "monitoring-" + UUID.randomUUID(), "content", "hello"))).statusCode()).isEqualTo(200);

            Set<String> live = new TreeSet<>(named);
            live.removeAll(BORN_OF_AN_EVENT);
            // the apps' client metrics appear as their consumers fetch and producers send; on time-out the failure
            // lists the names still missing
            Await.value("/metrics to export every metric the dashboards and rules name", EdgeFixture.AWAIT_TIMEOUT,
                    () -> {
                        Set<String> missing = new TreeSet<>(live);
                        missing.removeAll(exported(edge.getManagement("/metrics").body()));
                        return missing;
                    }, Set::isEmpty);
            assertThat(edge.metricFamilies()).containsAll(BORN_OF_AN_EVENT.stream()
                    .map(name -> name.replaceFirst("_total$", "")).toList());
        }
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

    /** Every sample name a scrape in the text format can hold, from its {@code # TYPE} lines. */
    private static Set<String> exported(String scrape) {
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
