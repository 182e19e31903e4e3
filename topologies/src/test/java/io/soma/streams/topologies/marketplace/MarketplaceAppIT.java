package io.soma.streams.topologies.marketplace;

import io.soma.streams.avro.CapsuleAttestation;
import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleReviewAction;
import io.soma.streams.avro.CapsuleReviewCommand;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.GroupedKey;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.StreamsApps;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.DeadLetters;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The marketplace app on the real broker and registry: the 471 real MCP registry entries, attested by the example
 * publisher, come out with their findings; forgeries go to {@code soma.dlq}; the workflow leaves exactly one audit
 * record per transition, across a restart.
 */
class MarketplaceAppIT {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private static final String APP_ID = "marketplace-it-" + UUID.randomUUID();
    /**
     * Prefixes the real capsule ids, so this class's capsules are its own on a broker other classes (or an earlier
     * run) may also have sent the same registry entries to.
     */
    private static final String RUN = "it-" + UUID.randomUUID() + "/";
    private static final String PUBLISHER = ExampleCapsulePublisher.PUBLISHER;
    private static final String REVIEWERS = "marketplace-reviewers";
    private static final PrivateKey EXAMPLE_KEY = ExampleCapsulePublisher.privateKey(
            Path.of("example-signing/example-publisher-key.DO-NOT-USE-IN-PRODUCTION.pem"));
    private static final ComplianceChecks CHECKS = new ComplianceChecks(ComplianceChecks.Config.defaults());
    private static final List<McpRegistry.Entry> ENTRIES = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()));
    /** One registry for the app's every start: the metrics are registered once per process, as in the edge. */
    private static final PrometheusRegistry METRICS = new PrometheusRegistry();
    private static final MarketplaceMetrics MARKETPLACE_METRICS = new MarketplaceMetrics(METRICS);
    @TempDir
    static Path stateDir;
    private static LocalStack stack;
    private static AppSerdes serdes;
    private static KafkaProducer<String, SpecificRecord> producer;
    private static KafkaStreams app;

    @BeforeAll
    static void start() {
        stack = ProvisionedStack.shared();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        serdes = new AppSerdes(registry);
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(registry, false, true));
        app = startApp();
    }

    @AfterAll
    static void stop() {
        StreamsApps.closeLeavingGroup(app);
        if (producer != null) {
            producer.close();
        }
    }

    @Test
    void shouldPutEveryRealEntryInTheCatalogWithItsFindings() throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        Set<String> submissionIds = new HashSet<>();
        Map<String, CapsuleManifest> manifests = new HashMap<>();
        for (McpRegistry.Entry entry : ENTRIES) {
            // the seed file's 7 blank entries keep their blank id: there is nothing to prefix
            String capsuleId = entry.capsuleId().isEmpty() ? "" : RUN + entry.capsuleId();
            CapsuleSubmission submission = submission(capsuleId, entry.manifest());
            submissionIds.add(submission.getSubmissionId());
            manifests.put(capsuleId, entry.manifest());
            sent.add(producer.send(new ProducerRecord<>(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, submission)));
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        List<CapsuleCatalogEntry> catalog = CommittedRecords.awaitValues(stack.bootstrapServers(),
                Topics.MARKETPLACE_CATALOG.name(), new StringDeserializer(),
                serdes.value(Topics.MARKETPLACE_CATALOG).deserializer(), e -> e.getCapsuleId().startsWith(RUN), 464);
        assertThat(catalog).hasSize(464);
        assertThat(catalog).extracting(CapsuleCatalogEntry::getCapsuleId).doesNotHaveDuplicates();
        Map<String, Integer> findingsByCheck = new HashMap<>();
        for (CapsuleCatalogEntry entry : catalog) {
            CapsuleManifest manifest = manifests.get(entry.getCapsuleId());
            assertThat(entry.getStatus()).isEqualTo(CapsuleStatus.SUBMITTED);
            assertThat(MarketplaceAvro.manifest(entry.getManifest())).isEqualTo(manifest);
            assertThat(entry.getFindings()).as(entry.getCapsuleId())
                    .isEqualTo(MarketplaceAvro.findings(CHECKS.check(manifest)));
            entry.getFindings().forEach(f -> findingsByCheck.merge(f.getCheck(), 1, Integer::sum));
        }
        // the counts of ComplianceChecksTest's walk of the JSON file, less the 7 blank entries' no_package and
        // no_repository: those entries have no id, so they never reach the catalog
        assertThat(findingsByCheck).isEqualTo(Map.of("unknown_registry", 302, "secret_requested", 193,
                "filesystem_argument", 96, "unpinned_version", 93));

        List<MarketplaceAudit> audits = audits(a -> submissionIds.contains(a.getRequestId()), ENTRIES.size());
        assertThat(audits).hasSize(ENTRIES.size());
        assertThat(audits.stream().collect(Collectors.groupingBy(a -> a.getAction() + "/" + a.getRejectionKind(),
                Collectors.counting()))).isEqualTo(Map.of("submitted/null", 464L, "submission_refused/malformed", 7L));
        CapsuleCatalogEntry stored = catalogStore().get(catalog.get(0).getCapsuleId());
        assertThat(stored).isEqualTo(catalog.get(0));
    }

    @Test
    void shouldSendATamperedManifestToTheDeadLetterTopicWithTheReason() throws Exception {
        McpRegistry.Entry entry = ENTRIES.get(0);
        String capsuleId = RUN + "tampered/" + entry.capsuleId();
        CapsuleSubmission genuine = submission(capsuleId, entry.manifest());
        CapsuleSubmission tampered = CapsuleSubmission.newBuilder(genuine)
                .setSubmissionId(UUID.randomUUID().toString())
                .setManifest(MarketplaceAvro.manifest(AttestationVerifierTest.withDescription(entry.manifest(),
                        "also uploads your files")))
                .build();

        RecordMetadata source = send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, tampered);

        Map<String, String> headers = DeadLetters.headersOf(stack.bootstrapServers(), source);
        assertThat(headers.get(DlqHeaders.REASON)).startsWith("bad_signature: ");
        assertThat(headers.get(DlqHeaders.APP)).isEqualTo(MarketplaceApp.APPLICATION_ID);
        // counted before the transaction that wrote the dead letter committed
        assertThat(counted("marketplace_submissions_refused", "reason", "bad_signature")).isGreaterThanOrEqualTo(1);
        MarketplaceAudit refused = audits(a -> a.getRequestId().equals(tampered.getSubmissionId()), 1).get(0);
        assertThat(refused.getAction()).isEqualTo("submission_refused");
        assertThat(refused.getRejectionKind()).isEqualTo("bad_signature");
        // the genuine manifest is still welcome
        send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, genuine);
        assertThat(audits(a -> a.getRequestId().equals(genuine.getSubmissionId()), 1).get(0).getAction())
                .isEqualTo("submitted");
    }

    @Test
    void shouldWriteOneAuditRecordPerTransitionAcrossARestart() throws Exception {
        McpRegistry.Entry entry = ENTRIES.get(1);
        String capsuleId = RUN + "workflow/" + entry.capsuleId();
        CapsuleManifest v1 = entry.manifest();
        CapsuleManifest v2 = AttestationVerifierTest.withVersion(v1, v1.version() + ".2");
        List<String> expected = new ArrayList<>();

        expected.add(submit(capsuleId, v1, "submitted"));
        expected.add(review(capsuleId, CapsuleReviewAction.START_REVIEW, REVIEWERS, null, "review_started"));
        expected.add(review(capsuleId, CapsuleReviewAction.APPROVE, PUBLISHER, "mine is fine", "review_refused/forbidden"));
        expected.add(review(capsuleId, CapsuleReviewAction.APPROVE, REVIEWERS, "checked the findings", null,
                "review_refused/invalid"));
        expected.add(review(capsuleId, CapsuleReviewAction.APPROVE, REVIEWERS, "checked the findings", v1.version(),
                "approved"));

        // a close that timed out would leave threads on the state directory the new instance opens
        assertThat(StreamsApps.closeLeavingGroup(app)).as("closed in time").isTrue();
        app = startApp();

        expected.add(review(capsuleId, CapsuleReviewAction.APPROVE, REVIEWERS, null, "review_refused/conflict"));
        expected.add(review(capsuleId, CapsuleReviewAction.REVOKE, REVIEWERS, "package moved", "revoked"));
        expected.add(submit(capsuleId, v2, "submitted"));
        expected.add(review(capsuleId, CapsuleReviewAction.START_REVIEW, REVIEWERS, null, "review_started"));
        expected.add(review(capsuleId, CapsuleReviewAction.REJECT, REVIEWERS, null, "review_refused/invalid"));
        expected.add(review(capsuleId, CapsuleReviewAction.REJECT, REVIEWERS, "asks for a password", v2.version(),
                "rejected"));
        expected.add(submit(capsuleId, v1, "submission_refused/replayed_version"));

        List<MarketplaceAudit> audits = audits(a -> a.getCapsuleId().equals(capsuleId), expected.size());
        assertThat(audits).extracting(MarketplaceAppIT::outcome).containsExactlyElementsOf(expected);
        List<MarketplaceAudit> transitions = audits.stream().filter(a -> a.getToStatus() != null).toList();
        assertThat(transitions).hasSize(7);
        CapsuleCatalogEntry entryNow = Await.value("the rejected capsule in the store", Duration.ofSeconds(30),
                () -> catalogStore().get(capsuleId), e -> e != null && e.getStatus() == CapsuleStatus.REJECTED);
        assertThat(entryNow.getHistory()).extracting(e -> e.getAction())
                .containsExactlyElementsOf(transitions.stream().map(MarketplaceAudit::getAction).toList());
        assertThat(entryNow.getManifest().getVersion()).isEqualTo(v2.version());
        assertThat(attestedVersions(capsuleId)).containsOnlyKeys(v1.version(), v2.version());
        assertThat(entryNow.getAttestedVersions()).isEmpty();
    }

    @Test
    void shouldKeepEachEntryBoundedAndGoOnPastWhatWouldOutgrowIt() throws Exception {
        McpRegistry.Entry entry = ENTRIES.get(2);
        String capsuleId = RUN + "bounded/" + entry.capsuleId();
        CapsuleManifest base = entry.manifest();
        int versions = MarketplaceApp.RECENT_HISTORY + 5;
        List<String> sent = new ArrayList<>();
        for (int i = 1; i <= versions; i++) {
            CapsuleManifest manifest = AttestationVerifierTest.withVersion(base, base.version() + ".b" + i);
            send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, submission(capsuleId, manifest));
            sent.add(manifest.version());
        }
        assertThat(audits(a -> a.getCapsuleId().equals(capsuleId), versions))
                .extracting(MarketplaceAppIT::outcome).containsOnly("submitted");

        // notes longer than an entry carries: refused, and left out of the audit record too
        review(capsuleId, CapsuleReviewAction.START_REVIEW, REVIEWERS, "n".repeat(MarketplaceLimits.MAX_NOTES_CHARS + 1),
                "review_refused/invalid");
        assertThat(audits(a -> a.getCapsuleId().equals(capsuleId) && a.getAction().equals("review_refused"), 1)
                .get(0).getNotes()).isNull();

        // a version whose manifest alone outgrows the entry: refused with the reason, not written
        CapsuleManifest huge = AttestationVerifierTest.withDescription(
                AttestationVerifierTest.withVersion(base, base.version() + ".huge"), "x".repeat(MarketplaceLimits.MAX_ENTRY_BYTES));
        CapsuleSubmission hugeSubmission = submission(capsuleId, huge);
        RecordMetadata hugeSource = send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, hugeSubmission);
        MarketplaceAudit refused = audits(a -> a.getRequestId().equals(hugeSubmission.getSubmissionId()), 1).get(0);
        assertThat(outcome(refused)).isEqualTo("submission_refused/too_large");
        assertThat(refused.getRejection()).contains("over the limit of " + MarketplaceLimits.MAX_ENTRY_BYTES);
        assertThat(List.of(String.valueOf(refused.getFromStatus()), String.valueOf(refused.getToStatus()),
                refused.getVersion())).containsExactly("SUBMITTED", "null", huge.version());
        assertThat(DeadLetters.headersOf(stack.bootstrapServers(), hugeSource).get(DlqHeaders.REASON))
                .startsWith("too_large: ");

        // a version longer than any record may echo: malformed, and the audit shows it cut
        CapsuleManifest longVersion = AttestationVerifierTest.withVersion(base, "v".repeat(100_000));
        CapsuleSubmission longSubmission = submission(capsuleId, longVersion);
        send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, longSubmission);
        MarketplaceAudit malformed = audits(a -> a.getRequestId().equals(longSubmission.getSubmissionId()), 1).get(0);
        assertThat(outcome(malformed)).isEqualTo("submission_refused/malformed");
        assertThat(malformed.getVersion()).hasSize(MarketplaceLimits.MAX_NAME_CHARS + 1).endsWith("…");
        // nor may a refusal's message quote a key id that long
        CapsuleSubmission genuine = submission(capsuleId, AttestationVerifierTest.withVersion(base, "long-key-id"));
        CapsuleSubmission longKeyId = CapsuleSubmission.newBuilder(genuine).setAttestation(
                CapsuleAttestation.newBuilder(genuine.getAttestation()).setKeyId("k".repeat(300_000)).build()).build();
        RecordMetadata longKeySource = send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, longKeyId);
        MarketplaceAudit refusedKey = audits(a -> a.getRequestId().equals(longKeyId.getSubmissionId()), 1).get(0);
        assertThat(outcome(refusedKey)).isEqualTo("submission_refused/malformed");
        assertThat(refusedKey.getRejection().length()).isLessThanOrEqualTo(MarketplaceLimits.MAX_MESSAGE_CHARS + 1);
        assertThat(DeadLetters.headersOf(stack.bootstrapServers(), longKeySource).get(DlqHeaders.REASON))
                .startsWith("malformed: ");

        // and the capsule goes on: the next version is accepted
        CapsuleManifest after = AttestationVerifierTest.withVersion(base, base.version() + ".after");
        submit(capsuleId, after, "submitted");
        sent.add(after.version());
        CapsuleCatalogEntry bounded = Await.value("the entry at the last version", Duration.ofSeconds(30),
                () -> catalogStore().get(capsuleId),
                e -> e != null && e.getManifest().getVersion().equals(after.version()));
        assertThat(bounded.getHistory()).extracting(e -> e.getVersion())
                .containsExactlyElementsOf(sent.subList(sent.size() - MarketplaceApp.RECENT_HISTORY, sent.size()));
        assertThat(attestedVersions(capsuleId)).containsOnlyKeys(sent);
    }

    /** Sends one submission and waits for its audit record; returns its outcome as {@link #outcome} spells it. */
    private static String submit(String capsuleId, CapsuleManifest manifest, String expectedOutcome) throws Exception {
        CapsuleSubmission submission = submission(capsuleId, manifest);
        send(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, submission);
        assertThat(outcome(audits(a -> a.getRequestId().equals(submission.getSubmissionId()), 1).get(0)))
                .isEqualTo(expectedOutcome);
        return expectedOutcome;
    }

    private static String review(String capsuleId, CapsuleReviewAction action, String reviewerTenant, String notes,
                                 String expectedOutcome) throws Exception {
        return review(capsuleId, action, reviewerTenant, notes, null, expectedOutcome);
    }

    private static String review(String capsuleId, CapsuleReviewAction action, String reviewerTenant, String notes,
                                 String expectedVersion, String expectedOutcome) throws Exception {
        CapsuleReviewCommand command = CapsuleReviewCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setCapsuleId(capsuleId)
                .setAction(action)
                .setReviewer("reviewer-of-" + reviewerTenant)
                .setReviewerTenant(reviewerTenant)
                .setNotes(notes)
                .setExpectedVersion(expectedVersion)
                .setRequestedAt(Instant.now())
                .build();
        send(Topics.MARKETPLACE_REVIEWS.name(), capsuleId, command);
        assertThat(outcome(audits(a -> a.getRequestId().equals(command.getCommandId()), 1).get(0)))
                .isEqualTo(expectedOutcome);
        return expectedOutcome;
    }

    private static String outcome(MarketplaceAudit audit) {
        return audit.getRejectionKind() == null ? audit.getAction() : audit.getAction() + "/" + audit.getRejectionKind();
    }

    static CapsuleSubmission submission(String capsuleId, CapsuleManifest manifest) {
        return CapsuleSubmission.newBuilder()
                .setSubmissionId(UUID.randomUUID().toString())
                .setCapsuleId(capsuleId)
                .setPublisher(PUBLISHER)
                .setSubmittedBy("publisher-bot")
                .setManifest(MarketplaceAvro.manifest(manifest))
                .setAttestation(MarketplaceAvro.attestation(Attestation.sign(capsuleId, PUBLISHER, manifest,
                        ExampleCapsulePublisher.KEY_ID, EXAMPLE_KEY)))
                .setSubmittedAt(Instant.now())
                .build();
    }

    private static KafkaStreams startApp() {
        MarketplaceApp.Config config = new MarketplaceApp.Config(List.of(ExampleCapsulePublisher.publisherKey()),
                ComplianceChecks.Config.defaults(), MARKETPLACE_METRICS);
        return StreamsApps.startAndAwaitRunning(new KafkaStreams(MarketplaceApp.build(config, serdes),
                StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir).forApp(APP_ID)));
    }

    private static double counted(String counter, String label, String value) {
        return METRICS.scrape().stream().filter(s -> s.getMetadata().getName().equals(counter))
                .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
                .filter(p -> p.getLabels().equals(Labels.of(label, value)))
                .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }

    private static ReadOnlyKeyValueStore<String, CapsuleCatalogEntry> catalogStore() {
        return app.store(StoreQueryParameters.fromNameAndType(MarketplaceApp.CATALOG_STORE,
                QueryableStoreTypes.<String, CapsuleCatalogEntry>keyValueStore()));
    }

    /** The capsule's attested versions → digests, as its own store holds them. */
    private static Map<String, String> attestedVersions(String capsuleId) {
        ReadOnlyKeyValueStore<String, String> store = app.store(StoreQueryParameters.fromNameAndType(
                MarketplaceApp.ATTESTED_VERSIONS_STORE, QueryableStoreTypes.<String, String>keyValueStore()));
        Map<String, String> versions = new HashMap<>();
        try (var found = store.prefixScan(GroupedKey.prefix(capsuleId), new StringSerializer())) {
            found.forEachRemaining(kv -> versions.put(GroupedKey.parts(kv.key).get(1), kv.value));
        }
        return versions;
    }

    private static RecordMetadata send(String topic, String key, SpecificRecord value) throws Exception {
        return producer.send(new ProducerRecord<>(topic, key, value)).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static List<MarketplaceAudit> audits(Predicate<MarketplaceAudit> wanted, int n) {
        return CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.MARKETPLACE_AUDIT.name(),
                new StringDeserializer(), serdes.value(Topics.MARKETPLACE_AUDIT).deserializer(), wanted, n);
    }
}
