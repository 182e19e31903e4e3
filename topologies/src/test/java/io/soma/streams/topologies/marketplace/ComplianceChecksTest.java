package io.soma.streams.topologies.marketplace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.marketplace.ComplianceChecks.Check;
import io.soma.streams.topologies.marketplace.ComplianceChecks.Finding;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The checks over the 471 real MCP registry entries, against a count made straight from the JSON file. */
class ComplianceChecksTest {
    private static final ComplianceChecks CHECKS = new ComplianceChecks(ComplianceChecks.Config.defaults());

    @Test
    void shouldReadEveryRegistryEntryAsAManifest() {
        List<McpRegistry.Entry> entries = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()));

        assertThat(entries).hasSize(471);
        // 7 entries of the seed file have every field empty, id included; the other 464 ids are distinct
        assertThat(entries.stream().filter(e -> e.capsuleId().isEmpty())
                .map(e -> e.manifest().name() + e.manifest().version() + e.manifest().packages())).containsOnly("[]")
                .hasSize(7);
        assertThat(entries.stream().map(McpRegistry.Entry::capsuleId).filter(id -> !id.isEmpty()).distinct()).hasSize(464);
        assertThat(entries.stream().mapToLong(e -> e.manifest().packages().size()).sum()).isEqualTo(464);
        assertThat(entries.stream().flatMap(e -> e.manifest().packages().stream())
                .mapToLong(p -> p.environmentVariables().size()).sum()).isEqualTo(400);
    }

    @Test
    void shouldCountFindingsAsAnIndependentWalkOfTheJsonFileDoes() throws Exception {
        List<McpRegistry.Entry> entries = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()));
        Map<Check, Integer> findings = new EnumMap<>(Check.class);
        Map<Check, Integer> capsules = new EnumMap<>(Check.class);
        Map<Integer, Integer> capsulesByFindingCount = new TreeMap<>();
        Map<String, Integer> capsulesByHighestSeverity = new TreeMap<>();
        for (McpRegistry.Entry entry : entries) {
            List<Finding> found = CHECKS.check(entry.manifest());
            found.forEach(f -> findings.merge(f.check(), 1, Integer::sum));
            found.stream().map(Finding::check).distinct().forEach(c -> capsules.merge(c, 1, Integer::sum));
            capsulesByFindingCount.merge(found.size(), 1, Integer::sum);
            capsulesByHighestSeverity.merge(found.stream().map(Finding::severity).min(Comparator.naturalOrder())
                    .map(ComplianceChecks.Severity::wire).orElse("none"), 1, Integer::sum);
        }

        assertThat(findings).isEqualTo(countStraightFromTheFile());
        System.out.printf("findings by check %s; capsules with at least one, by check %s; capsules by number of"
                + " findings %s; capsules by highest severity %s%n", findings, capsules, capsulesByFindingCount,
                capsulesByHighestSeverity);
    }

    @Test
    void shouldFindTheSameFindingsInTheSameOrderEveryTime() {
        List<McpRegistry.Entry> entries = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()));

        for (McpRegistry.Entry entry : entries) {
            assertThat(CHECKS.check(entry.manifest())).isEqualTo(CHECKS.check(entry.manifest()));
        }
    }

    @Test
    void shouldRunOnlyTheConfiguredChecksAtTheConfiguredSeverity() {
        ComplianceChecks.Config defaults = ComplianceChecks.Config.defaults();
        ComplianceChecks onlySecrets = new ComplianceChecks(new ComplianceChecks.Config(
                Map.of(Check.SECRET_REQUESTED, ComplianceChecks.Severity.HIGH), defaults.knownRegistries(),
                defaults.floatingVersions(), defaults.secretNameWords(), defaults.pathWords(),
                defaults.pathValuePrefixes()));
        CapsuleManifest manifest = new CapsuleManifest("io.github.example/tool", "a tool", "", null, "1.0.0",
                List.of(new CapsuleManifest.CapsulePackage("unknown", "tool", "", List.of(),
                        List.of(new CapsuleManifest.EnvironmentVariable("TOOL_API_KEY", "the key"),
                                new CapsuleManifest.EnvironmentVariable("KEYCLOAK_URL", "not a secret")))));

        assertThat(onlySecrets.check(manifest)).containsExactly(new Finding(Check.SECRET_REQUESTED,
                ComplianceChecks.Severity.HIGH, "TOOL_API_KEY", "package tool asks for secret TOOL_API_KEY"));
        assertThat(CHECKS.check(manifest)).extracting(Finding::check).containsExactly(Check.NO_REPOSITORY,
                Check.UNPINNED_VERSION, Check.UNKNOWN_REGISTRY, Check.SECRET_REQUESTED);
    }

    /** A range installs whatever matches it that day: it pins no more than "latest" does. */
    @Test
    void shouldFindAVersionRangeUnpinnedAndAnExactVersionPinned() {
        List<String> ranges = List.of(" latest ", "^1.2.0", "~1.4", "*", "1.x", "2.X.1", ">=2 <3", "1 || 2", "~=1.4", "!=1.1");
        List<String> exact = List.of("1.2.0", "0.0.1-beta.3", "2025.5.16", "3.11-slim", "1.0.0+build.7", "==1.4.2",
                "===1.0", "=1.2.3", " 1.2.0 ", "== 1.4.2");

        for (String version : ranges) {
            assertThat(CHECKS.check(withPackageVersion(version))).as(version).extracting(Finding::check)
                    .containsExactly(Check.UNPINNED_VERSION);
        }
        for (String version : exact) {
            assertThat(CHECKS.check(withPackageVersion(version))).as(version).isEmpty();
        }
    }

    private static CapsuleManifest withPackageVersion(String version) {
        return new CapsuleManifest("io.github.example/tool", "a tool", "https://github.com/example/tool", null, "1.0.0",
                List.of(new CapsuleManifest.CapsulePackage("npm", "tool", version, List.of(), List.of())));
    }

    @Test
    void shouldCutLongNamesInFindingsSoThatNoManifestMakesMoreNotesThanItHoldsText() {
        // 240,000 characters of package name and 8,000 secret variables: about 512 KB of manifest, which a finding
        // per variable repeating the name would turn into 1.9 GB of notes
        String longName = "a".repeat(240_000);
        List<CapsuleManifest.EnvironmentVariable> secrets = IntStream.range(0, 8_000)
                .mapToObj(i -> new CapsuleManifest.EnvironmentVariable("PAT", null)).toList();
        CapsuleManifest manifest = new CapsuleManifest("io.github.example/" + longName, "", "https://example.org", null,
                "1.0.0", List.of(new CapsuleManifest.CapsulePackage("npm", longName, "1.0.0", List.of(), secrets)));

        List<Finding> findings = CHECKS.check(manifest);

        assertThat(findings).hasSize(8_000);
        assertThat(findings).allSatisfy(f -> {
            assertThat(f.note()).hasSizeLessThan(MarketplaceLimits.MAX_NAME_CHARS + 50);
            assertThat(f.note()).startsWith("package " + "a".repeat(MarketplaceLimits.MAX_NAME_CHARS) + "… asks");
        });
    }

    /** The documented rules, applied to the JSON tree directly, without the manifest reader or the checks. */
    private static Map<Check, Integer> countStraightFromTheFile() throws Exception {
        JsonNode root = new ObjectMapper().readTree(McpRegistry.file(TestPaths.dataDir()).toFile());
        Map<Check, Integer> counts = new EnumMap<>(Check.class);
        for (JsonNode entry : root) {
            JsonNode packages = entry.path("packages");
            if (packages.size() == 0) {
                counts.merge(Check.NO_PACKAGE, 1, Integer::sum);
            }
            if (entry.path("repository").path("url").asText("").isBlank()) {
                counts.merge(Check.NO_REPOSITORY, 1, Integer::sum);
            }
            for (JsonNode p : packages) {
                String version = p.path("version").asText("").trim();
                if (version.isEmpty() || version.equalsIgnoreCase("latest")
                        || version.replaceFirst("^={1,3}", "").strip().matches(".*([\\^~*<>=|!\\s]|(^|\\.)[xX](\\.|$)).*")) {
                    counts.merge(Check.UNPINNED_VERSION, 1, Integer::sum);
                }
                String registry = p.has("registry_name") ? p.path("registry_name").asText() : p.path("registry").asText();
                if (!Set.of("npm", "pypi", "docker").contains(registry.toLowerCase())) {
                    counts.merge(Check.UNKNOWN_REGISTRY, 1, Integer::sum);
                }
                for (JsonNode variable : p.path("environment_variables")) {
                    if (namesASecret(variable.path("name").asText())) {
                        counts.merge(Check.SECRET_REQUESTED, 1, Integer::sum);
                    }
                }
                for (JsonNode argument : p.path("package_arguments")) {
                    if (takesAPath(argument)) {
                        counts.merge(Check.FILESYSTEM_ARGUMENT, 1, Integer::sum);
                    }
                }
            }
        }
        return counts;
    }

    private static boolean namesASecret(String name) {
        for (String word : name.toUpperCase().split("_|-")) {
            for (String ending : List.of("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD")) {
                if (word.endsWith(ending) && word.substring(0, word.length() - ending.length()).matches("[A-Z0-9]*")) {
                    return true;
                }
            }
            if (List.of("PASS", "PAT", "CREDENTIAL", "CREDENTIALS").contains(word)) {
                return true;
            }
        }
        return false;
    }

    private static boolean takesAPath(JsonNode argument) {
        Set<String> pathWords = Set.of("path", "paths", "dir", "directory", "folder", "folders", "file");
        for (String field : List.of("name", "value_hint", "description")) {
            for (String word : argument.path(field).asText("").toLowerCase().split("[^a-z0-9]+")) {
                if (pathWords.contains(word)) {
                    return true;
                }
            }
        }
        for (String field : List.of("value_hint", "value")) {
            String value = argument.path(field).asText("");
            if (value.startsWith("/") || value.startsWith("~/") || value.startsWith("./") || value.startsWith("../")
                    || value.matches("[A-Za-z]:[/\\\\].*")) {
                return true;
            }
        }
        return false;
    }
}
