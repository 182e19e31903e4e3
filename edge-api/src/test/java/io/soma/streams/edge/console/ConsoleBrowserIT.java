package io.soma.streams.edge.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.topologies.policy.constitution.CanonicalJson;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.ConstitutionSigner;
import io.soma.streams.topologies.policy.constitution.Pem;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import io.soma.streams.topologies.policy.example.ExampleConstitutionSigner;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The console in real headless Chromium (Debian's package, driven by playwright-core from
 * {@code console/e2e/console.e2e.mjs}) on a whole Soma process replaying the demo's datasets: sign-in, every page
 * opened from the navigation showing the API's data (its Largest Contentful Paint logged), round trips on Policies
 * ("try a prompt" denies what the example pack denies, and what a rule saved in the editor names; a signed
 * constitution published there shows on the Overview), Budgets (a budget defined, then changed, changes its bar),
 * Training (enabled with a reason and a TTL, it shows on the Overview) and Marketplace (a reviewer approving a
 * capsule changes its badge), a tenant user confined to its own tenant, the decision rate and dead-letter count on
 * the Overview, no browser console error and no serious or critical axe-core violation. It saves a screenshot of
 * every page to {@code docs/console/}.
 */
class ConsoleBrowserIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();
    private static final Path CONSOLE = PROJECT.resolve("console");
    private static final Path SCREENSHOTS = PROJECT.resolve("docs/console");
    /** The tour's steps each wait up to 45 s; it took 26-98 s on two cores shared with another test JVM. */
    private static final long SCRIPT_LIMIT_SECONDS = 300;
    private static final Duration REPLAY_PROCESSED = Duration.ofMinutes(3);
    /** The replayed tenants whose data the pages show: the Azure trace's, XSTest's (the example rule pack), LLMPerf's. */
    private static final String SHOWN = ReplayPlan.TENANTS.get(0);
    private static final String WITH_RULE_PACK = ReplayPlan.TENANTS.get(2);
    private static final String WITH_SERVING_METRICS = ReplayPlan.TENANTS.get(3);

    @Test
    // the replay's wait and the browser's tour together may take longer than the suite's default of 5 minutes
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void shouldShowEveryPageWithTheApisDataInChromium() throws IOException, InterruptedException, GeneralSecurityException {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is absent (apt-get install chromium;"
                + " .ci/run installs it)");
        try (EdgeFixture demo = EdgeFixture.onOwnStack(EdgeFixture.demoSettings()).awaitReady()) {
            String admin = demo.adminToken();
            // what the pages show must be there before the browser looks
            demo.awaitGet("capsules in the catalog", "/v1/marketplace/capsules?size=1", admin,
                    page -> page.get("total").asInt() > 0);
            demo.awaitGet("archived decisions of " + SHOWN, "/v1/audit/decisions?limit=1&tenant=" + SHOWN, admin,
                    page -> !page.get("decisions").isEmpty());
            demo.awaitGet("the example rule pack", "/v1/policies/" + WITH_RULE_PACK, admin, pack -> true);
            // the forecast and SLM apps work through the replay after it: longer on a 2-core machine shared with builds
            JsonNode model = demo.awaitGet("a forecast of " + WITH_SERVING_METRICS, "/v1/forecast/" + WITH_SERVING_METRICS,
                    admin, REPLAY_PROCESSED, forecast -> true).get("by_model").get(0);
            demo.awaitGet("serving metrics of the first model", "/v1/slm/metrics?model=" + model.get("model").asText()
                    + "&provider=" + model.get("provider").asText(), admin, REPLAY_PROCESSED,
                    metrics -> !metrics.get("windows").isEmpty());
            String userTenant = "console-" + Long.toString(System.nanoTime(), 36);
            JsonNode created = EdgeFixture.json(demo.post("/v1/tenants", admin,
                    EdgeFixture.json(Map.of("tenant_id", userTenant, "admin_subject", "console-admin"))));

            String tour = EdgeFixture.json(Map.of(
                    "base", "http://127.0.0.1:" + demo.port(),
                    "apiKey", demo.adminApiKey(),
                    "shots", SCREENSHOTS.toString(),
                    "tenants", Map.of("shown", SHOWN, "policies", WITH_RULE_PACK, "models", WITH_SERVING_METRICS),
                    "user", Map.of("apiKey", created.get("admin").get("api_key").asText(), "tenant", userTenant),
                    "bundle", nextConstitution()));
            Path output = Files.createTempFile("console-e2e", ".log");
            Process browser = new ProcessBuilder(List.of("node", "e2e/console.e2e.mjs", tour))
                    .directory(CONSOLE.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            try {
                boolean ended = browser.waitFor(SCRIPT_LIMIT_SECONDS, TimeUnit.SECONDS);
                String steps = Files.readString(output);
                assertThat(ended).as("the browser script ended within %d s:%n%s", SCRIPT_LIMIT_SECONDS, steps).isTrue();
                assertThat(browser.exitValue()).as("the browser script's steps:%n%s", steps).isZero();
                // the paint and data-shown timings that docs/benchmarks.md quotes
                System.out.print(steps);
            } finally {
                browser.descendants().forEach(ProcessHandle::destroyForcibly);
                browser.destroyForcibly();
                Files.deleteIfExists(output);
            }
        }
    }

    /**
     * The demo's example constitution as its next version, with a revision saying so (a new document, so a new hash),
     * signed with the example key: a bundle the edge and the policy app accept, for the page to publish.
     */
    private static String nextConstitution() throws IOException, GeneralSecurityException {
        SignedBundle active = ExamplePolicy.bundle();
        int last = active.version().lastIndexOf('.');
        String next = active.version().substring(0, last + 1) + (Long.parseLong(active.version().substring(last + 1)) + 1);
        ObjectNode document = (ObjectNode) CanonicalJson.parse(active.documentJson());
        ((ArrayNode) document.get("revision_history")).addObject().put("version", next)
                .put("summary", "Published from the console by ConsoleBrowserIT.");
        return ConstitutionBundleJson.write(ConstitutionSigner.sign(CanonicalJson.write(document), next,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), null, ExampleConstitutionSigner.KEY_ID,
                Pem.readPrivateKey(Files.readString(PROJECT.resolve(ExampleConstitutionSigner.PRIVATE_KEY_FILE)))));
    }
}
