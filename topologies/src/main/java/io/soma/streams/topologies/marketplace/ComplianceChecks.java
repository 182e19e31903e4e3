package io.soma.streams.topologies.marketplace;

import io.soma.streams.topologies.marketplace.CapsuleManifest.CapsulePackage;
import io.soma.streams.topologies.marketplace.CapsuleManifest.EnvironmentVariable;
import io.soma.streams.topologies.marketplace.CapsuleManifest.PackageArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.soma.streams.topologies.marketplace.MarketplaceLimits.shown;

/**
 * Compliance findings computed from what a manifest says, and only from that: no network, no clock, so the same
 * manifest always gets the same findings in the same order (docs/marketplace.md). Names in findings are cut to
 * {@value MarketplaceLimits#MAX_NAME_CHARS} characters.
 */
public final class ComplianceChecks {

    /** The checks, by the names findings carry. */
    public enum Check {
        /** The capsule declares no package: nothing says what would run. */
        NO_PACKAGE,
        /** A package whose version is empty or floating: what runs can change under the same capsule version. */
        UNPINNED_VERSION,
        /** A package from a registry not in {@link Config#knownRegistries()}. */
        UNKNOWN_REGISTRY,
        /** No source repository URL. */
        NO_REPOSITORY,
        /** An environment variable whose name says it holds a key, token or password. */
        SECRET_REQUESTED,
        /** An argument that takes a filesystem path. */
        FILESYSTEM_ARGUMENT;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Severity {
        HIGH, MEDIUM, LOW, INFO;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One finding; {@code subject} names the package, variable or argument, null for the capsule as a whole. */
    public record Finding(Check check, Severity severity, String subject, String note) {
    }

    /**
     * @param severities        the severity of each enabled check; a check not in the map is not run
     * @param knownRegistries   package registries the platform knows how to install from (lower case)
     * @param floatingVersions  package versions that pin nothing besides the empty one (lower case, e.g. {@code latest})
     * @param secretNameWords   an environment variable asks for a secret when a word of its name (split at {@code _}
     *                          and {@code -}, upper-cased) matches this
     * @param pathWords         an argument takes a path when a word of its name, value hint or description (split at
     *                          anything not a letter or digit, lower-cased) is one of these
     * @param pathValuePrefixes ... or when its value hint or value starts with one of these
     */
    public record Config(Map<Check, Severity> severities, Set<String> knownRegistries, Set<String> floatingVersions,
                         Pattern secretNameWords, Set<String> pathWords, List<String> pathValuePrefixes) {
        public Config {
            severities = Map.copyOf(severities);
            knownRegistries = Set.copyOf(knownRegistries);
            floatingVersions = Set.copyOf(floatingVersions);
            pathWords = Set.copyOf(pathWords);
            pathValuePrefixes = List.copyOf(pathValuePrefixes);
        }

        public static Config defaults() {
            Map<Check, Severity> severities = new EnumMap<>(Check.class);
            severities.put(Check.NO_PACKAGE, Severity.HIGH);
            severities.put(Check.UNPINNED_VERSION, Severity.MEDIUM);
            severities.put(Check.UNKNOWN_REGISTRY, Severity.MEDIUM);
            severities.put(Check.NO_REPOSITORY, Severity.MEDIUM);
            severities.put(Check.SECRET_REQUESTED, Severity.LOW);
            severities.put(Check.FILESYSTEM_ARGUMENT, Severity.LOW);
            return new Config(severities, Set.of("npm", "pypi", "docker"), Set.of("latest"),
                    Pattern.compile("[A-Z0-9]*(KEY|TOKEN|SECRET|PASSWORD|PASSWD)|PASS|PAT|CREDENTIALS?"),
                    Set.of("path", "paths", "dir", "directory", "folder", "folders", "file"),
                    List.of("/", "~/", "./", "../"));
        }
    }

    private static final Pattern VARIABLE_NAME_SEPARATORS = Pattern.compile("[_-]");
    private static final Pattern NON_WORD = Pattern.compile("[^\\p{Alnum}]+");
    private static final Pattern WINDOWS_DRIVE = Pattern.compile("^[A-Za-z]:[/\\\\].*");
    /**
     * A version that names a range, not one release: npm's {@code ^1.2.0}, {@code ~1}, {@code *}, {@code 1.x},
     * {@code >=2 <3}, {@code 1 || 2}, PyPI's {@code ~=1.4}, {@code !=1.1}. Whatever it resolves to today, it may
     * install something else tomorrow, as {@code latest} does. Matched after {@link #EXACT_PREFIX}.
     */
    private static final Pattern VERSION_RANGE = Pattern.compile("[\\^~*<>=|!\\s]|(^|\\.)[xX](\\.|$)");
    /** What pins one release exactly before a version: npm's {@code =1.2.3}, PyPI's {@code ==1.4.2}, {@code ===1.0}. */
    private static final Pattern EXACT_PREFIX = Pattern.compile("^={1,3}");

    private final Config config;

    public ComplianceChecks(Config config) {
        this.config = config;
    }

    private static boolean isRange(String version) {
        return VERSION_RANGE.matcher(EXACT_PREFIX.matcher(version.strip()).replaceFirst("").strip()).find();
    }

    /** Every finding of the enabled checks: capsule-wide ones first, then package by package, in declared order. */
    public List<Finding> check(CapsuleManifest manifest) {
        List<Finding> findings = new ArrayList<>();
        if (manifest.packages().isEmpty()) {
            add(findings, Check.NO_PACKAGE, null, "the capsule declares no package");
        }
        if (blank(manifest.repositoryUrl())) {
            add(findings, Check.NO_REPOSITORY, null, "the capsule names no source repository");
        }
        for (CapsulePackage p : manifest.packages()) {
            // names cut as records echo them: a finding per variable that repeated a long package name in full would
            // let one manifest under the size limit make gigabytes of notes
            String packageName = p.name() == null ? "(unnamed package)" : shown(p.name());
            if (blank(p.version()) || config.floatingVersions().contains(p.version().strip().toLowerCase(Locale.ROOT))
                    || isRange(p.version())) {
                add(findings, Check.UNPINNED_VERSION, packageName, blank(p.version())
                        ? "package " + packageName + " has no version"
                        : "package " + packageName + " floats on '" + shown(p.version()) + "'");
            }
            if (p.registry() == null || !config.knownRegistries().contains(p.registry().toLowerCase(Locale.ROOT))) {
                add(findings, Check.UNKNOWN_REGISTRY, packageName, "package " + packageName + " comes from registry '"
                        + shown(p.registry()) + "', not one of " + config.knownRegistries().stream().sorted().toList());
            }
            for (EnvironmentVariable v : p.environmentVariables()) {
                if (asksForSecret(v.name())) {
                    String variable = shown(v.name());
                    add(findings, Check.SECRET_REQUESTED, variable, "package " + packageName + " asks for secret "
                            + variable);
                }
            }
            for (PackageArgument a : p.arguments()) {
                if (takesPath(a)) {
                    String argument = shown(a.name() != null ? a.name() : a.value());
                    add(findings, Check.FILESYSTEM_ARGUMENT, argument, "package " + packageName
                            + " takes a filesystem path in argument '" + argument + "'");
                }
            }
        }
        return findings;
    }

    private boolean asksForSecret(String variableName) {
        return Arrays.stream(VARIABLE_NAME_SEPARATORS.split(variableName.toUpperCase(Locale.ROOT)))
                .anyMatch(word -> config.secretNameWords().matcher(word).matches());
    }

    private boolean takesPath(PackageArgument a) {
        boolean pathWord = Stream.of(a.name(), a.valueHint(), a.description())
                .filter(text -> text != null)
                .flatMap(text -> Arrays.stream(NON_WORD.split(text.toLowerCase(Locale.ROOT))))
                .anyMatch(config.pathWords()::contains);
        return pathWord || Stream.of(a.valueHint(), a.value()).filter(text -> text != null).anyMatch(this::looksLikePath);
    }

    private boolean looksLikePath(String value) {
        return config.pathValuePrefixes().stream().anyMatch(value::startsWith) || WINDOWS_DRIVE.matcher(value).matches();
    }

    private void add(List<Finding> findings, Check check, String subject, String note) {
        Severity severity = config.severities().get(check);
        if (severity != null) {
            findings.add(new Finding(check, severity, subject, note));
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
