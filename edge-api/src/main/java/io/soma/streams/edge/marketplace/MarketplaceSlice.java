package io.soma.streams.edge.marketplace;

import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.edge.forecast.ForecastSlice;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.MarketplaceHistoryQuery;
import io.soma.streams.stores.query.StoreTenancy;
import io.soma.streams.topologies.marketplace.AttestationVerifier;
import io.soma.streams.topologies.marketplace.ComplianceChecks;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.MarketplaceApp;
import io.soma.streams.topologies.marketplace.MarketplaceMetrics;
import io.soma.streams.topologies.marketplace.PublisherKey;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import io.soma.streams.topologies.runtime.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The marketplace: the marketplace app with its catalog store, the edge's copy of the whole catalog for lists, the
 * reply waiter on {@code marketplace.audit}, the catalog change stream, the routes, and in the demo the real registry
 * entries submitted and reviewed in the background ({@link MarketplaceDemo}).
 */
public record MarketplaceSlice(Closer closer, MarketplaceHandlers handlers) implements Slice {
    private static final Logger log = LoggerFactory.getLogger(MarketplaceSlice.class);
    private static final String OFF = "off";

    public static MarketplaceSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            Settings settings = platform.config().settings();
            List<PublisherKey> keys = trustedKeys(settings);
            RunningApp app = platform.launch(MarketplaceApp.APPLICATION_ID, MarketplaceApp.build(
                    new MarketplaceApp.Config(verifier(keys), compliance(settings),
                            new MarketplaceMetrics(platform.metrics()),
                            settings.integer("marketplace.capsule.max.versions")), platform.serdes()), closer);
            // every tenant reads the catalog: no tenant owns an entry
            platform.queries().local().registerKeyValueStore(MarketplaceApp.CATALOG_STORE, app.streams(),
                    StoreTenancy.shared(), MarketplaceHandlers::entry);
            platform.queries().local().registerGroupedStore(MarketplaceApp.ATTESTED_VERSIONS_STORE, app.streams(),
                    StoreTenancy.shared(), MarketplaceHandlers::attestedVersion);
            var outcomes = platform.replies(Topics.MARKETPLACE_AUDIT, MarketplaceAudit::getRequestId, closer);
            var entries = platform.serdes().value(Topics.MARKETPLACE_CATALOG).deserializer();
            CatalogView catalog = closer.own(new CatalogView(platform.config().bootstrapServers(),
                    Topics.MARKETPLACE_CATALOG.name(), entries));
            platform.check("marketplace-catalog",
                    () -> catalog.caughtUp() ? null : "still reading marketplace.catalog from its start");
            SseHub changes = platform.sseHub("marketplace-catalog", MarketplaceHandlers.catalogSource(entries), closer);
            // a capsule's entry shows the caller's own usage of it, when the process keeps forecasts
            MarketplaceHandlers.TokenSummaries tokens = started.find(ForecastSlice.class)
                    .<MarketplaceHandlers.TokenSummaries>map(forecast -> forecast.handlers()::capsuleSummary)
                    .orElse(MarketplaceHandlers.TokenSummaries.NONE);
            // written by the archive slice, wherever it runs
            MarketplaceHistoryQuery history = new MarketplaceHistoryQuery(platform.postgresRequests().dataSource(),
                    settings.string("archive.postgres.schema"));
            MarketplaceHandlers handlers = new MarketplaceHandlers(platform.producer(), outcomes,
                    platform.stores(), catalog, changes, tokens, history, platform.replyTimeout());
            if (platform.config().replayEnabled() && keys.stream().anyMatch(k -> k.keyId()
                    .equals(ExampleCapsulePublisher.KEY_ID) && k.publisher().equals(ExampleCapsulePublisher.PUBLISHER))) {
                closer.own(MarketplaceDemo.start(platform.producer(), outcomes, platform.config().datasetsDir(),
                        Path.of(settings.string("marketplace.demo.key.file"))));
            }
            return new MarketplaceSlice(closer, handlers);
        });
    }

    /**
     * {@code marketplace.trusted.keys}: {@code publisher:keyId=public-key.pem,...}, each key bound to the one publisher
     * it may attest for, or {@code example} for the demo's example publisher key.
     */
    static List<PublisherKey> trustedKeys(Settings settings) {
        List<PublisherKey> keys = new ArrayList<>();
        for (String entry : settings.string("marketplace.trusted.keys").split(",")) {
            String item = entry.trim();
            if (item.isEmpty()) {
                continue;
            }
            if (item.equals("example")) {
                keys.add(ExampleCapsulePublisher.publisherKey());
                continue;
            }
            int eq = item.indexOf('=');
            int colon = item.indexOf(':');
            if (colon <= 0 || eq <= colon + 1) {
                throw new Settings.ConfigException("marketplace.trusted.keys entries are "
                        + "publisher:keyId=path-to-public-key.pem, got '" + item + "'");
            }
            keys.add(new PublisherKey(item.substring(0, colon).trim(), TrustedKey.fromPemFile(
                    item.substring(colon + 1, eq).trim(), Path.of(item.substring(eq + 1).trim()))));
        }
        if (keys.isEmpty()) {
            log.warn("no capsule publisher key is trusted (marketplace.trusted.keys): every submission will be refused");
        }
        return keys;
    }

    /** The app's verifier of the trusted keys; a publisher's key id given twice is a configuration error. */
    private static AttestationVerifier verifier(List<PublisherKey> keys) {
        try {
            return new AttestationVerifier(keys);
        } catch (IllegalArgumentException e) {
            throw new Settings.ConfigException("marketplace.trusted.keys: " + e.getMessage());
        }
    }

    /**
     * The compliance checks' defaults, with {@code marketplace.compliance.known.registries} and per check
     * {@code marketplace.compliance.severity.<check>} = {@code high|medium|low|info}, or {@code off} to not run it.
     */
    static ComplianceChecks.Config compliance(Settings settings) {
        ComplianceChecks.Config defaults = ComplianceChecks.Config.defaults();
        Map<ComplianceChecks.Check, ComplianceChecks.Severity> severities = new EnumMap<>(defaults.severities());
        settings.withPrefix("marketplace.compliance.severity").forEach((name, value) -> {
            ComplianceChecks.Check check = Arrays.stream(ComplianceChecks.Check.values())
                    .filter(c -> c.wire().equals(name)).findFirst()
                    .orElseThrow(() -> new Settings.ConfigException("marketplace.compliance.severity." + name
                            + ": no such check; the checks are " + Arrays.stream(ComplianceChecks.Check.values())
                            .map(ComplianceChecks.Check::wire).toList()));
            String level = value.trim().toLowerCase(Locale.ROOT);
            if (level.equals(OFF)) {
                severities.remove(check);
                return;
            }
            try {
                severities.put(check, ComplianceChecks.Severity.valueOf(level.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Settings.ConfigException("marketplace.compliance.severity." + name
                        + " must be high, medium, low, info or off, got '" + value + "'");
            }
        });
        Set<String> registries = Arrays.stream(settings.string("marketplace.compliance.known.registries").split(","))
                .map(r -> r.trim().toLowerCase(Locale.ROOT)).filter(r -> !r.isEmpty()).collect(Collectors.toSet());
        return new ComplianceChecks.Config(severities, registries, defaults.floatingVersions(),
                defaults.secretNameWords(), defaults.pathWords(), defaults.pathValuePrefixes());
    }
}
