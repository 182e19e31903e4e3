package io.soma.streams.topologies.marketplace;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.schemas.GroupedKey;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.testkit.TcpProxy;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.TestDriverSettings;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import io.soma.streams.topologies.runtime.AppSerdes;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.test.TestRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The marketplace topology on a test driver with the real schema registry (hence an IT): an entry written before the
 * attested versions had a store of their own still refuses a replay, and hands its versions to that store on its next
 * version; a capsule stays its first publisher's.
 */
class MarketplaceAppTopologyIT {
    private static final String CAPSULE = "topology-it/legacy-capsule";
    private static final McpRegistry.Entry ENTRY = McpRegistry.read(McpRegistry.file(TestPaths.dataDir())).get(3);
    private static final String OTHER_PUBLISHER = "other-publisher";
    private static final String OTHER_KEY_ID = "other-ed25519-1";
    private static final KeyPair OTHER_KEY = AttestationVerifierTest.pair("Ed25519");
    private static AppSerdes serdes;
    private TopologyTestDriver driver;
    private TestInputTopic<String, CapsuleSubmission> submissions;
    private TestOutputTopic<String, MarketplaceAudit> audits;

    @BeforeAll
    static void registry() {
        serdes = new AppSerdes(new SchemaRegistryClient(ProvisionedStack.shared().schemaRegistryUrl()));
    }

    @BeforeEach
    void start() {
        startWith(serdes, MarketplaceApp.DEFAULT_MAX_VERSIONS);
    }

    /**
     * A driver whose topology reads and writes with {@code appSerdes} and lets a capsule hold {@code maxVersions};
     * the test's topics use the shared serdes.
     */
    private void startWith(AppSerdes appSerdes, int maxVersions) {
        Properties props = TestDriverSettings.of("marketplace-topology-test", TestPaths.newWorkDir("marketplace-topology"));
        MarketplaceApp.Config config = new MarketplaceApp.Config(new AttestationVerifier(List.of(
                ExampleCapsulePublisher.publisherKey(), new PublisherKey(OTHER_PUBLISHER, new TrustedKey(OTHER_KEY_ID,
                        OTHER_KEY.getPublic(), SignatureAlgorithm.EDDSA)))),
                ComplianceChecks.Config.defaults(), new MarketplaceMetrics(new PrometheusRegistry()), maxVersions);
        driver = new TopologyTestDriver(MarketplaceApp.build(config, appSerdes), props);
        submissions = driver.createInputTopic(Topics.MARKETPLACE_SUBMISSIONS.name(), new StringSerializer(),
                serdes.value(Topics.MARKETPLACE_SUBMISSIONS).serializer());
        audits = driver.createOutputTopic(Topics.MARKETPLACE_AUDIT.name(), new StringDeserializer(),
                serdes.value(Topics.MARKETPLACE_AUDIT).deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldRefuseAReplayOfALegacyEntrysVersionAndMoveItsVersionsToTheirStore() {
        CapsuleManifest v1 = version("1.0.0");
        CapsuleManifest v2 = version("2.0.0");
        assertThat(outcomeOf(v1)).isEqualTo("submitted");
        // the entry as the code before the versions' store wrote it: the versions in the entry, none in the store,
        // one of them holding NUL, which that code allowed and no store key can hold
        KeyValueStore<String, CapsuleCatalogEntry> catalog = driver.getKeyValueStore(MarketplaceApp.CATALOG_STORE);
        KeyValueStore<String, String> versions = driver.getKeyValueStore(MarketplaceApp.ATTESTED_VERSIONS_STORE);
        String v1Digest = versions.delete(GroupedKey.of(CAPSULE, v1.version()));
        String nulVersion = "0.9\u0000beta";
        catalog.put(CAPSULE, CapsuleCatalogEntry.newBuilder(catalog.get(CAPSULE))
                .setAttestedVersions(Map.of(v1.version(), v1Digest, nulVersion, v1Digest)).build());

        assertThat(outcomeOf(v1)).isEqualTo("submission_refused/replayed_version");
        assertThat(outcomeOf(v2)).isEqualTo("submitted");
        assertThat(catalog.get(CAPSULE).getAttestedVersions()).containsOnlyKeys(nulVersion);
        assertThat(versions.get(GroupedKey.of(CAPSULE, v1.version()))).isEqualTo(v1Digest);
        assertThat(versions.get(GroupedKey.of(CAPSULE, v2.version()))).isNotNull().isNotEqualTo(v1Digest);
        assertThat(outcomeOf(v1)).isEqualTo("submission_refused/replayed_version");
    }

    @Test
    void shouldRefuseAnotherPublishersAuthenticVersionOfACapsuleItDoesNotHold() {
        CapsuleManifest v1 = version("1.0.0");
        CapsuleManifest v9 = version("9.0.0");
        assertThat(outcomeOf(v1)).isEqualTo("submitted");
        assertThat(outcomeOf(byOtherPublisher(v9))).isEqualTo("submission_refused/other_publisher");
        // a version the capsule holds already: still not the other publisher's, not a changed manifest to re-version
        assertThat(outcomeOf(byOtherPublisher(v1))).isEqualTo("submission_refused/other_publisher");
        CapsuleCatalogEntry entryAfter = driver.<String, CapsuleCatalogEntry>getKeyValueStore(MarketplaceApp.CATALOG_STORE)
                .get(CAPSULE);
        assertThat(entryAfter.getPublisher()).isEqualTo(ExampleCapsulePublisher.PUBLISHER);
        assertThat(entryAfter.getManifest().getVersion()).isEqualTo(v1.version());
        // the version it tried is still free for the capsule's own publisher
        assertThat(outcomeOf(v9)).isEqualTo("submitted");
    }

    /** The task moved to an instance whose clock runs behind: its history must stay in the order it happened. */
    @Test
    void shouldNotDateAnOutcomeBeforeTheEntrysLastChange() {
        assertThat(outcomeOf(version("1.0.0"))).isEqualTo("submitted");
        KeyValueStore<String, CapsuleCatalogEntry> catalog = driver.getKeyValueStore(MarketplaceApp.CATALOG_STORE);
        Instant ahead = catalog.get(CAPSULE).getUpdatedAt().plus(Duration.ofHours(1));
        catalog.put(CAPSULE, CapsuleCatalogEntry.newBuilder(catalog.get(CAPSULE)).setUpdatedAt(ahead).build());

        submissions.pipeInput(CAPSULE, MarketplaceAppIT.submission(CAPSULE, version("2.0.0")));

        assertThat(audits.readValuesToList()).singleElement()
                .satisfies(audit -> assertThat(audit.getTimestamp()).isAfterOrEqualTo(ahead));
        assertThat(catalog.get(CAPSULE).getUpdatedAt()).isAfterOrEqualTo(ahead);
    }

    /** {@code manifest} of {@link #CAPSULE} submitted by the other trusted publisher, signed with its own key. */
    private static CapsuleSubmission byOtherPublisher(CapsuleManifest manifest) {
        return CapsuleSubmission.newBuilder(MarketplaceAppIT.submission(CAPSULE, manifest))
                .setPublisher(OTHER_PUBLISHER)
                .setAttestation(MarketplaceAvro.attestation(Attestation.sign(CAPSULE, OTHER_PUBLISHER, manifest,
                        OTHER_KEY_ID, OTHER_KEY.getPrivate())))
                .build();
    }

    @Test
    void shouldRefuseAVersionBeyondTheCapsulesMostCountingALegacyEntrysVersions() {
        driver.close();
        startWith(serdes, 3);
        TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER,
                new StringDeserializer(), new ByteArrayDeserializer());
        assertThat(outcomeOf(version("1.0.0"))).isEqualTo("submitted");
        assertThat(outcomeOf(version("2.0.0"))).isEqualTo("submitted");
        // one version as the code before the versions' store kept it: in the entry, not in the store
        KeyValueStore<String, CapsuleCatalogEntry> catalog = driver.getKeyValueStore(MarketplaceApp.CATALOG_STORE);
        catalog.put(CAPSULE, CapsuleCatalogEntry.newBuilder(catalog.get(CAPSULE))
                .setAttestedVersions(Map.of("0.9.0", "00".repeat(32))).build());

        assertThat(outcomeOf(version("3.0.0"))).isEqualTo("submission_refused/too_many_versions");

        assertThat(new String(deadLetters.readRecordsToList().get(0).headers().lastHeader(DlqHeaders.REASON).value(),
                StandardCharsets.UTF_8)).startsWith("too_many_versions: capsule '" + CAPSULE + "' holds 3");
        assertThat(catalog.get(CAPSULE).getManifest().getVersion()).as("the entry as it was").isEqualTo("2.0.0");
        assertThat(outcomeOf(version("1.0.0"))).as("a replay is still a replay")
                .isEqualTo("submission_refused/replayed_version");
    }

    @Test
    void shouldDeadLetterARecordWithoutAValueOnEitherInputWithTheReason() {
        TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER,
                new StringDeserializer(), new ByteArrayDeserializer());
        submissions.pipeInput(CAPSULE, null);
        driver.createInputTopic(Topics.MARKETPLACE_REVIEWS.name(), new StringSerializer(),
                serdes.value(Topics.MARKETPLACE_REVIEWS).serializer()).pipeInput(CAPSULE, null);

        List<TestRecord<String, byte[]>> written = deadLetters.readRecordsToList();
        assertThat(written).hasSize(2).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo(CAPSULE);
            assertThat(new String(r.headers().lastHeader(DlqHeaders.REASON).value(), StandardCharsets.UTF_8))
                    .startsWith("malformed: a record without a value");
        });
        assertThat(audits.isEmpty()).isTrue();
    }

    @Test
    void shouldReadASubmissionAgainRatherThanDeadLetterItWhileTheRegistryIsUnreachable() throws Exception {
        URI registry = URI.create(ProvisionedStack.shared().schemaRegistryUrl());
        try (TcpProxy proxy = TcpProxy.to(registry)) {
            // the app's own client, through the proxy, no retries inside it: its schema cache starts empty
            driver.close();
            startWith(new AppSerdes(new SchemaRegistryClient(SchemaRegistryConfig.oneAttempt(proxy.url()))),
                    MarketplaceApp.DEFAULT_MAX_VERSIONS);
            TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER,
                    new StringDeserializer(), new ByteArrayDeserializer());
            CapsuleSubmission submission = MarketplaceAppIT.submission(CAPSULE, version("1.0.0"));
            proxy.cut();

            // the task fails, so that Kafka Streams hands the submission over again
            assertThatThrownBy(() -> submissions.pipeInput(CAPSULE, submission)).isInstanceOf(StreamsException.class);
            assertThat(deadLetters.isEmpty()).as("nothing dead-lettered").isTrue();
            assertThat(audits.isEmpty()).as("nothing audited").isTrue();

            proxy.restore();
            assertThat(outcomeOf(submission)).isEqualTo("submitted");
        }
    }

    /** A real registry entry's manifest under {@code version}. */
    private static CapsuleManifest version(String version) {
        return AttestationVerifierTest.withVersion(ENTRY.manifest(), version);
    }

    /** Submits the version and reads the one audit record it gets, as action or action/rejection kind. */
    private String outcomeOf(CapsuleManifest manifest) {
        return outcomeOf(MarketplaceAppIT.submission(CAPSULE, manifest));
    }

    private String outcomeOf(CapsuleSubmission submission) {
        submissions.pipeInput(CAPSULE, submission);
        List<MarketplaceAudit> written = audits.readValuesToList();
        assertThat(written).hasSize(1);
        MarketplaceAudit audit = written.get(0);
        return audit.getRejectionKind() == null ? audit.getAction()
                : audit.getAction() + "/" + audit.getRejectionKind();
    }
}
