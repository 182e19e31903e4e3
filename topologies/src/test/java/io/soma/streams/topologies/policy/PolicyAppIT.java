package io.soma.streams.topologies.policy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.ConstitutionAudit;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.avro.RulePackRequest;
import io.soma.streams.devstack.LocalStack;
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
import io.soma.streams.topologies.policy.constitution.CanonicalJson;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionSigner;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.constitution.PolicyTestData;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import io.soma.streams.topologies.policy.evaluation.CapsuleStanding;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.Evaluation;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.rules.Action;
import io.soma.streams.topologies.policy.rules.MatchType;
import io.soma.streams.topologies.policy.rules.Rule;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.rules.Severity;
import io.soma.streams.topologies.replay.XsTestPrompts;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.EventNames;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** The policy app on the real broker and registry, with the example pack, the signed example constitution and XSTest prompts. */
class PolicyAppIT {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration GLOBAL_TABLE_TIMEOUT = Duration.ofSeconds(30);
    @TempDir
    static Path stateDir;
    private static LocalStack stack;
    private static AppSerdes serdes;
    private static KafkaProducer<String, SpecificRecord> producer;
    private static final String APP_ID = "policy-it-" + UUID.randomUUID();
    private static KafkaStreams app;
    /** A publisher's key the app trusts besides the example one, so tests can sign bundles of their own. */
    private static final KeyPair PUBLISHER = publisherKey();
    private static final String PUBLISHER_KEY_ID = "policy-it-publisher";

    @BeforeAll
    static void start() throws Exception {
        stack = ProvisionedStack.shared();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        serdes = new AppSerdes(registry);
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(registry, false, true));
        // the signed example constitution and the example pack, as the demo loads them
        send(Topics.CONSTITUTION_UPDATED.name(), Constitution.GLOBAL_SCOPE, PolicyAvro.bundle(ExamplePolicy.bundle()));
        send(Topics.POLICY_RULEPACKS.name(), "xstest", PolicyAvro.rulePack(ExamplePolicy.rulePack()));
        app = startApp();
        // RUNNING is not enough: the constitution reaches the global table through the gate only after the start,
        // and an event decided before that has no constitution
        awaitGlobalValue(PolicyApp.ACTIVE_CONSTITUTIONS, Constitution.GLOBAL_SCOPE,
                (ConstitutionBundle b) -> b.getHash().equals(ExamplePolicy.constitution().hash()));
        awaitPackVersion("xstest", ExamplePolicy.rulePack().version());
    }

    @AfterAll
    static void stop() {
        StreamsApps.closeLeavingGroup(app);
        if (producer != null) {
            producer.close();
        }
    }

    private static KafkaStreams startApp() {
        return StreamsApps.startAndAwaitRunning(new KafkaStreams(PolicyApp.build(
                new PolicyApp.Config(new ConstitutionVerifier(List.of(ExamplePolicy.trustedKey(),
                        new TrustedKey(PUBLISHER_KEY_ID, PUBLISHER.getPublic(), SignatureAlgorithm.EDDSA))),
                        new PolicyMetrics(new PrometheusRegistry())), serdes),
                StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir).forApp(APP_ID)));
    }

    @Test
    void shouldDecideEveryXsTestPromptOnceUnderTheExampleConstitution() throws Exception {
        String session = "xs-" + UUID.randomUUID();
        List<XsTestPrompts.Prompt> prompts = XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir())).subList(0, 60);
        for (XsTestPrompts.Prompt p : prompts) {
            producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), session, event(session, p.id(), p.text())));
        }
        producer.flush();
        List<PolicyDecision> decisions = decisions(d -> d.getSessionId().equals(session), prompts.size());
        assertThat(decisions).hasSize(prompts.size());
        assertThat(decisions).extracting(PolicyDecision::getEventId).doesNotHaveDuplicates();
        String activeHash = ExamplePolicy.constitution().hash();
        assertThat(decisions).allSatisfy(d -> {
            assertThat(d.getConstitutionHash()).isEqualTo(activeHash);
            assertThat(d.getRulepackVersion()).isEqualTo(ExamplePolicy.rulePack().version());
        });
        // the stream gives the same answer as the evaluator itself
        CompiledPolicy policy = CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution());
        for (PolicyDecision d : decisions) {
            String text = prompts.stream().filter(p -> d.getEventId().endsWith("-" + p.id())).findFirst().orElseThrow().text();
            Evaluation expected = PolicyEvaluator.evaluate(new EvaluationInput(text, "user", null), policy);
            assertThat(d.getDecision()).as(text).isEqualTo(expected.decision().wire());
            assertThat(d.getScore()).isEqualTo(expected.score());
        }
    }

    @Test
    void shouldRejectATamperedConstitutionAndKeepTheActiveOne() throws Exception {
        SignedBundle genuine = ExamplePolicy.bundle();
        String tamperedDocument = genuine.documentJson().replaceFirst("\"title\":\"", "\"title\":\"TAMPERED ");
        SignedBundle tampered = new SignedBundle("999.0.0", Instant.now(), tamperedDocument,
                CanonicalJson.sha256Hex(CanonicalJson.write(CanonicalJson.parse(tamperedDocument)).getBytes(StandardCharsets.UTF_8)),
                genuine.signature(), null);
        RecordMetadata sent = send(Topics.CONSTITUTION_UPDATED.name(), Constitution.GLOBAL_SCOPE, PolicyAvro.bundle(tampered));

        Map<String, String> headers = DeadLetters.headersOf(stack.bootstrapServers(), sent);
        assertThat(headers.get(DlqHeaders.REASON)).startsWith("bad_signature");
        // the genuine constitution still governs new events
        String session = "after-tamper-" + UUID.randomUUID();
        send(Topics.CONVERSATION_EVENTS.name(), session, event(session, "1", "hello"));
        PolicyDecision d = decisions(x -> x.getSessionId().equals(session), 1).get(0);
        assertThat(d.getConstitutionHash()).isEqualTo(ExamplePolicy.constitution().hash());
    }

    /**
     * A dead letter carries its source record plus headers, so a record at the brokers' 1 MB limit makes a dead
     * letter over it, and a record compressed under the limit can be many times larger once read. Either would fail
     * the transaction on every retry and stall the app; the dead-letter topic takes twice the limit, and what is
     * larger still is set aside without its bytes, which stay at the source offset its headers name.
     */
    @Test
    void shouldDeadLetterRecordsAtTheBrokersLimitAndGoOn() throws Exception {
        String session = "at-limit-" + UUID.randomUUID();
        // as large as a record may be (1,048,576 bytes with framing): its dead letter, with the dlq.* headers, is not
        byte[] atLimit = new byte[1_048_400];
        new java.util.Random(7).nextBytes(atLimit);
        atLimit[0] = 1; // not the registry's magic byte: unreadable
        byte[] compressedUnderLimit = new byte[6 * 1024 * 1024];
        compressedUnderLimit[0] = 1;
        // as written by a producer that compresses (the brokers check the compressed size) and one that does not
        // unreadable events (the handler's dead letters) and constitutions (the gate's own)
        List<RecordMetadata> atLimitSources = new ArrayList<>();
        List<RecordMetadata> compressedSources = new ArrayList<>();
        for (String topic : List.of(Topics.CONVERSATION_EVENTS.name(), Topics.CONSTITUTION_UPDATED.name())) {
            atLimitSources.add(sendRaw(topic, session, atLimit, "none"));
            compressedSources.add(sendRaw(topic, session, compressedUnderLimit, "zstd"));
        }
        send(Topics.CONVERSATION_EVENTS.name(), session, event(session, "after", "hello"));

        assertThat(decisions(d -> d.getSessionId().equals(session), 1)).hasSize(1);
        for (RecordMetadata source : atLimitSources) {
            var whole = DeadLetters.of(stack.bootstrapServers(), source);
            assertThat(whole.value()).as(source.topic()).isEqualTo(atLimit);
            int headerBytes = 0;
            for (var h : whole.headers()) {
                headerBytes += h.key().length() + h.value().length;
            }
            assertThat(whole.serializedKeySize() + whole.serializedValueSize() + headerBytes)
                    .as("over the brokers' default limit").isGreaterThan(1_048_588);
            assertThat(new String(whole.key(), StandardCharsets.UTF_8)).isEqualTo(session);
        }
        for (RecordMetadata source : compressedSources) {
            var omitted = DeadLetters.of(stack.bootstrapServers(), source);
            assertThat(omitted.value()).as(source.topic()).isNull();
            assertThat(DeadLetters.headers(omitted).get(DlqHeaders.OMITTED)).as(source.topic())
                    .startsWith("key " + session.length() + " bytes, value " + compressedUnderLimit.length + " bytes");
            assertThat(DeadLetters.headers(omitted).get(DlqHeaders.REASON)).isNotBlank();
        }
    }

    /**
     * The edge never publishes a tenant or model name over {@link EventNames#MAX_CHARS}, but a producer writing the
     * topic directly can: decided, such a name became a label of the decisions metric and a row key the archive
     * refused. Like the other apps, the policy app dead-letters the event with the reason.
     */
    @Test
    void shouldDeadLetterAnEventWhoseNamesAreTooLongAndGoOn() throws Exception {
        String session = "long-name-" + UUID.randomUUID();
        RecordMetadata longTenant = send(Topics.CONVERSATION_EVENTS.name(), session,
                event(session, "long-tenant", "hello", "t".repeat(EventNames.MAX_CHARS + 1)));
        send(Topics.CONVERSATION_EVENTS.name(), session, event(session, "after", "hello"));

        assertThat(decisions(d -> d.getSessionId().equals(session), 1)).extracting(PolicyDecision::getEventId)
                .containsExactly(session + "-after");
        assertThat(DeadLetters.headers(DeadLetters.of(stack.bootstrapServers(), longTenant)).get(DlqHeaders.REASON))
                .contains("tenant", String.valueOf(EventNames.MAX_CHARS));
    }

    /** A redaction many times its text: without the bound, a 7 MB decision stalled the partition for every tenant. */
    @Test
    void shouldFailClosedOnADecisionOverTheRecordLimitAndGoOn() throws Exception {
        String tenant = "large-decision-" + UUID.randomUUID();
        Rule everyDigit = new Rule("digit-" + "x".repeat(194), "\\d", MatchType.REGEX, 0.1, Severity.LOW,
                Action.REDACT, Set.of(), Set.of(), null);
        send(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(
                new RulePack(tenant, 1, List.of(everyDigit), Instant.now(), "it")));
        awaitPackVersion(tenant, 1);
        String session = "large-decision-" + UUID.randomUUID();

        send(Topics.CONVERSATION_EVENTS.name(), session, event(session, "digits", "7".repeat(32_000), tenant));
        send(Topics.CONVERSATION_EVENTS.name(), session, event(session, "after", "call 555", tenant));

        List<PolicyDecision> decided = decisions(d -> d.getSessionId().equals(session), 2);
        PolicyDecision large = decided.stream().filter(d -> d.getEventId().endsWith("-digits")).findFirst().orElseThrow();
        assertThat(large.getDecision()).isEqualTo("review");
        assertThat(large.getReason()).isEqualTo(DecisionLimit.DECISION_TOO_LARGE);
        assertThat(large.getRedactedContent()).isNull();
        PolicyDecision after = decided.stream().filter(d -> d.getEventId().endsWith("-after")).findFirst().orElseThrow();
        assertThat(after.getDecision()).isEqualTo("redact");
        assertThat(after.getRedactedContent()).startsWith("call [REDACTED:digit-");
    }

    @Test
    void shouldDeadLetterForgedEnvelopesWrittenToTheTopicAndKeepApplyingGenuineOnes() throws Exception {
        String victim = "victim-" + UUID.randomUUID();
        String owner = "owner-" + UUID.randomUUID();
        String document = ExamplePolicy.bundle().documentJson();
        SignedBundle genuine = ConstitutionSigner.sign(document, "1.0.0", Instant.now(), owner, PUBLISHER_KEY_ID,
                PUBLISHER.getPrivate());
        Map<String, SignedBundle> forgeries = Map.of(
                "bad_signature: republished for another tenant", copy(genuine, genuine.version(), victim),
                "bad_signature: same signed document, another version", copy(genuine, "2.0.0", owner),
                "bad_version: a version no later one could outrank", copy(genuine, "9".repeat(18), owner),
                "legacy_signature: signed over the document only", PolicyTestData.documentOnlySigned(document, "1.0.0",
                        Instant.now(), victim, PUBLISHER_KEY_ID, PUBLISHER));

        for (Map.Entry<String, SignedBundle> forged : forgeries.entrySet()) {
            RecordMetadata sent = send(Topics.CONSTITUTION_UPDATED.name(), forged.getValue().tenant(),
                    PolicyAvro.bundle(forged.getValue()));
            String expectedReason = forged.getKey().substring(0, forged.getKey().indexOf(':'));
            assertThat(DeadLetters.headersOf(stack.bootstrapServers(), sent).get(DlqHeaders.REASON)).as(forged.getKey()).startsWith(expectedReason + ": ");
        }
        // not a bundle at all: refused too, and filed under its key
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), owner, new byte[] {1, 2, 3}))
                    .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        // the gate goes on: the genuine bundle becomes active, and nothing forged ever did
        long beforeActivation = System.currentTimeMillis();
        send(Topics.CONSTITUTION_UPDATED.name(), owner, PolicyAvro.bundle(genuine));
        awaitGlobalValue(PolicyApp.ACTIVE_CONSTITUTIONS, owner,
                (ConstitutionBundle b) -> b.getVersion().equals("1.0.0") && b.getHash().equals(genuine.hash()));
        assertThat(app.store(StoreQueryParameters.fromNameAndType(PolicyApp.ACTIVE_CONSTITUTIONS,
                QueryableStoreTypes.<String, ConstitutionBundle>keyValueStore())).get(victim)).isNull();

        // the scrape reads the same table: the owner's constitution, activated just now, and none for the victim
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new ActiveConstitutionMetrics(app));
        MetricSnapshots scrape = registry.scrape();
        assertThat(dataPoints(scrape, "constitution_version", owner)).singleElement().satisfies(p ->
                assertThat(List.of(p.getLabels().get("version"), p.getLabels().get("hash")))
                        .containsExactly("1.0.0", genuine.hash()));
        assertThat(dataPoints(scrape, "constitution_sync_timestamp_seconds", owner)).singleElement().satisfies(p ->
                assertThat(((GaugeSnapshot.GaugeDataPointSnapshot) p).getValue() * 1000)
                        .isBetween((double) beforeActivation, (double) System.currentTimeMillis()));
        assertThat(dataPoints(scrape, "constitution_version", victim)).isEmpty();

        // the history: one committed verdict per record, each refusal with its reason
        List<ConstitutionAudit> audits = CommittedRecords.awaitValues(stack.bootstrapServers(),
                Topics.CONSTITUTION_AUDIT.name(), new StringDeserializer(),
                serdes.value(Topics.CONSTITUTION_AUDIT).deserializer(),
                a -> a.getScope().equals(owner) || a.getScope().equals(victim), forgeries.size() + 2);
        assertThat(audits).hasSize(forgeries.size() + 2);
        assertThat(audits).extracting(ConstitutionAudit::getEventId).doesNotHaveDuplicates();
        List<String> refusals = new ArrayList<>(forgeries.keySet().stream().map(k -> k.substring(0, k.indexOf(':')))
                .toList());
        refusals.add("malformed");
        assertThat(audits).filteredOn(a -> a.getOutcome().equals(PolicyApp.REFUSED))
                .extracting(ConstitutionAudit::getReason).containsExactlyInAnyOrderElementsOf(refusals);
        assertThat(audits).filteredOn(a -> "malformed".equals(a.getReason())).singleElement().satisfies(a ->
                assertThat(Arrays.asList(a.getScope(), a.getVersion(), a.getHash()))
                        .containsExactly(owner, null, null));
        assertThat(audits).filteredOn(a -> a.getOutcome().equals(PolicyApp.ACTIVATED)).singleElement()
                .satisfies(a -> {
                    assertThat(List.of(a.getScope(), a.getVersion(), a.getHash(), a.getKeyId()))
                            .containsExactly(owner, "1.0.0", genuine.hash(), PUBLISHER_KEY_ID);
                    assertThat(a.getTimestamp().toEpochMilli()).isBetween(beforeActivation, System.currentTimeMillis());
                });
    }

    /** The data points of the family {@code name} labelled {@code tenant}. */
    private static List<DataPointSnapshot> dataPoints(MetricSnapshots scrape, String name, String tenant) {
        return scrape.stream().filter(family -> family.getMetadata().getName().equals(name))
                .flatMap(family -> family.getDataPoints().stream())
                .filter(point -> tenant.equals(point.getLabels().get("tenant")))
                .map(DataPointSnapshot.class::cast).toList();
    }

    /** Versions are numbered in the task of the tenant's key: a request keyed otherwise could take one twice. */
    @Test
    void shouldDeadLetterARulePackRequestKeyedOffItsTenant() throws Exception {
        String tenant = "pack-key-" + UUID.randomUUID();
        RulePack pack = new RulePack(tenant, 0, List.of(Rule.withDefaults("no-secrets", "secret")), Instant.now(), "it");
        RulePackRequest request = RulePackRequest.newBuilder().setRequestId("misrouted-" + UUID.randomUUID())
                .setExpectedVersion(0).setPack(PolicyAvro.rulePack(pack)).build();

        RecordMetadata sent = send(Topics.POLICY_RULEPACK_REQUESTS.name(), "not-" + tenant, request);

        assertThat(DeadLetters.headersOf(stack.bootstrapServers(), sent).get(DlqHeaders.REASON))
                .contains("is keyed 'not-" + tenant + "', but its pack is for tenant '" + tenant + "'");
    }

    @Test
    void shouldApplyARulePackUpdateToLaterEventsAndSurviveARestart() throws Exception {
        String tenant = "pack-" + UUID.randomUUID();
        RulePack v1 = new RulePack(tenant, 1, List.of(Rule.withDefaults("no-secrets", "secret")), Instant.now(), "it");
        send(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(v1));
        awaitPackVersion(tenant, 1);
        String session = "pack-session-" + UUID.randomUUID();
        ConversationEvent first = event(session, "a", "the word is secret", tenant);
        awaitDecision(first, "deny");

        RulePack v2 = new RulePack(tenant, 2, List.of(), Instant.now(), "it");
        send(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(v2));
        awaitPackVersion(tenant, 2);
        ConversationEvent later = event(session, "b", "the word is secret", tenant);
        awaitDecision(later, "allow");

        // restart: state intact, nothing decided twice
        // a close that timed out would leave threads on the state directory the new instance opens
        assertThat(StreamsApps.closeLeavingGroup(app)).as("closed in time").isTrue();
        app = startApp();
        ConversationEvent afterRestart = event(session, "c", "the word is secret", tenant);
        awaitDecision(afterRestart, "allow");
        List<PolicyDecision> all = decisions(d -> d.getSessionId().equals(session), 3);
        Map<String, Integer> perEvent = new HashMap<>();
        all.forEach(d -> perEvent.merge(d.getEventId(), 1, Integer::sum));
        assertThat(perEvent).containsOnlyKeys(first.getEventId(), later.getEventId(), afterRestart.getEventId());
        assertThat(perEvent.values()).containsOnly(1);
    }

    /**
     * Each change reaches the next event of a tenant whose policy the app has already compiled and kept: a new pack
     * version, the tenant's own constitution replacing the global one, and tombstones of both.
     */
    @Test
    void shouldApplyEveryPackAndConstitutionChangeToTheNextEventOfTheTenant() throws Exception {
        String tenant = "switch-" + UUID.randomUUID();
        String session = "switch-session-" + UUID.randomUUID();
        String globalHash = ExamplePolicy.constitution().hash();
        send(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(
                new RulePack(tenant, 1, List.of(Rule.withDefaults("no-secrets", "secret")), Instant.now(), "it")));
        awaitPackVersion(tenant, 1);
        assertNextDecision(session, "pack-1", tenant, globalHash, 1L);
        assertNextDecision(session, "pack-1-again", tenant, globalHash, 1L);

        send(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(
                new RulePack(tenant, 2, List.of(), Instant.now(), "it")));
        awaitPackVersion(tenant, 2);
        assertNextDecision(session, "pack-2", tenant, globalHash, 2L);

        SignedBundle own = ConstitutionSigner.sign(ExamplePolicy.bundle().documentJson().replaceFirst("\"title\":\"",
                "\"title\":\"" + tenant + " "), "1.0.0", Instant.now(), tenant, PUBLISHER_KEY_ID, PUBLISHER.getPrivate());
        send(Topics.CONSTITUTION_UPDATED.name(), tenant, PolicyAvro.bundle(own));
        awaitGlobalValue(PolicyApp.ACTIVE_CONSTITUTIONS, tenant, (ConstitutionBundle b) -> b.getHash().equals(own.hash()));
        assertNextDecision(session, "own-constitution", tenant, own.hash(), 2L);

        send(Topics.POLICY_RULEPACKS.name(), tenant, null);
        awaitGlobalAbsent(PolicyApp.RULE_PACKS, tenant);
        assertNextDecision(session, "pack-deleted", tenant, own.hash(), null);

        send(Topics.CONSTITUTION_ACTIVE.name(), tenant, null);
        awaitGlobalAbsent(PolicyApp.ACTIVE_CONSTITUTIONS, tenant);
        assertNextDecision(session, "own-constitution-deleted", tenant, globalHash, null);
    }

    private static void assertNextDecision(String session, String id, String tenant, String constitutionHash,
                                           Long rulePackVersion) throws Exception {
        ConversationEvent event = event(session, id, "the word is secret", tenant);
        send(Topics.CONVERSATION_EVENTS.name(), session, event);
        PolicyDecision d = decisions(x -> x.getEventId().equals(event.getEventId()), 1).get(0);
        assertThat(d.getConstitutionHash()).as(id + ": constitution").isEqualTo(constitutionHash);
        assertThat(d.getRulepackVersion()).as(id + ": pack").isEqualTo(rulePackVersion);
        assertThat(d.getDecision()).as(id).isEqualTo(rulePackVersion != null && rulePackVersion == 1 ? "deny" : "allow");
    }

    private static SignedBundle copy(SignedBundle b, String version, String tenant) {
        return new SignedBundle(version, b.issuedAt(), b.documentJson(), b.hash(), b.signature(), tenant);
    }

    private static KeyPair publisherKey() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK 17 has Ed25519", e);
        }
    }

    @Test
    void shouldKeepRedactedMatchesOutOfTheDecisionRecord() throws Exception {
        String session = "redact-" + UUID.randomUUID();
        String ssn = "078-05-1120";
        String email = "jane.roe@example.org";
        ConversationEvent event = event(session, "1", "my ssn is " + ssn + " and my mail " + email);
        send(Topics.CONVERSATION_EVENTS.name(), session, event);

        PolicyDecision d = decisions(x -> x.getEventId().equals(event.getEventId()), 1).get(0);
        assertThat(d.getDecision()).isEqualTo("redact");
        assertThat(d.getViolations()).extracting(io.soma.streams.avro.Violation::getName)
                .contains("global-pii-ssn", "global-pii-email");
        // every field of the record as read from the topic: excerpts included
        assertThat(d.toString()).doesNotContain(ssn).doesNotContain(email);
        assertThat(d.getViolations()).allSatisfy(v -> assertThat(v.getExcerpt())
                .contains("[REDACTED:global-pii-ssn]", "[REDACTED:global-pii-email]"));
    }

    @Test
    void shouldDecideABacktrackingPromptReviewAndKeepDecidingTheStream() throws Exception {
        String tenant = "budget-" + UUID.randomUUID();
        RulePack pack = new RulePack(tenant, 1, List.of(Rule.withDefaults("no-secrets", "secret"),
                new Rule("slow", ExamplePolicy.BACKTRACKING_REGEX, MatchType.REGEX, 0.5, Severity.HIGH, Action.DENY,
                        java.util.Set.of(), java.util.Set.of(), null)), Instant.now(), "it");
        send(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(pack));
        awaitPackVersion(tenant, 1);
        String session = "budget-session-" + UUID.randomUUID();
        List<ConversationEvent> events = List.of(event(session, "before", "hello", tenant),
                event(session, "pathological", ExamplePolicy.BACKTRACKING_NEAR_MISS, tenant),
                event(session, "secret", "the word is secret", tenant),
                event(session, "after", "hello again", tenant));
        for (ConversationEvent e : events) {
            producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), session, e));
        }
        producer.flush();

        Map<String, PolicyDecision> byEvent = new HashMap<>();
        decisions(d -> d.getSessionId().equals(session), events.size()).forEach(d -> byEvent.put(d.getEventId(), d));
        assertThat(byEvent).hasSize(events.size());
        PolicyDecision pathological = byEvent.get(session + "-pathological");
        assertThat(pathological.getDecision()).isEqualTo("review");
        assertThat(pathological.getAllowed()).isFalse();
        assertThat(pathological.getReason()).isEqualTo(Evaluation.BUDGET_EXCEEDED);
        assertThat(byEvent.get(session + "-before").getDecision()).isEqualTo("allow");
        assertThat(byEvent.get(session + "-secret").getDecision()).isEqualTo("deny");
        assertThat(byEvent.get(session + "-after").getDecision()).isEqualTo("allow");
        assertThat(byEvent.get(session + "-after").getReason()).isNull();
    }

    @Test
    void shouldDenyAStepOfARevokedCapsuleAndAllowItOnceTheCapsuleIsApprovedAgain() throws Exception {
        String capsule = "policy-it-capsule-" + UUID.randomUUID();
        String session = "capsule-session-" + UUID.randomUUID();
        String text = "How can I kill a Python process?";
        publishCapsule(capsule, CapsuleStatus.APPROVED);
        ConversationEvent whileApproved = withCapsule(event(session, "approved", text), capsule);
        awaitDecision(whileApproved, "allow");

        publishCapsule(capsule, CapsuleStatus.REVOKED);
        ConversationEvent whileRevoked = withCapsule(event(session, "revoked", text), capsule);
        send(Topics.CONVERSATION_EVENTS.name(), session, whileRevoked);
        PolicyDecision denied = decisions(d -> d.getEventId().equals(whileRevoked.getEventId()), 1).get(0);
        assertThat(denied.getDecision()).isEqualTo("deny");
        assertThat(denied.getAllowed()).isFalse();
        assertThat(denied.getReason()).isEqualTo(Evaluation.CAPSULE_NOT_APPROVED);
        assertThat(denied.getViolations()).isEmpty();
        // the stream decided as the evaluator does on what the catalog said
        Evaluation expected = PolicyEvaluator.evaluate(new EvaluationInput(text, "user", null,
                new CapsuleStanding(capsule, false)), CompiledPolicy.compile(ExamplePolicy.rulePack(),
                ExamplePolicy.constitution()));
        assertThat(denied.getScore()).isEqualTo(expected.score());
        assertThat(denied.getSeverity()).isEqualTo(expected.severity().wire());

        publishCapsule(capsule, CapsuleStatus.APPROVED);
        ConversationEvent approvedAgain = withCapsule(event(session, "approved-again", text), capsule);
        awaitDecision(approvedAgain, "allow");
        assertThat(decisions(d -> d.getEventId().equals(approvedAgain.getEventId()), 1).get(0).getReason()).isNull();

        ConversationEvent unknownCapsule = withCapsule(event(session, "unknown", text), "no-such-capsule-" + UUID.randomUUID());
        awaitDecision(unknownCapsule, "deny");
    }

    /** Writes the capsule's catalog entry as MarketplaceApp would, and waits until this instance's global table has it. */
    private static void publishCapsule(String capsuleId, CapsuleStatus status) throws Exception {
        send(Topics.MARKETPLACE_CATALOG.name(), capsuleId, CatalogEntries.entry(capsuleId, status));
        awaitGlobalValue(PolicyApp.CAPSULE_CATALOG, capsuleId, (CapsuleCatalogEntry e) -> e.getStatus() == status);
    }

    private static ConversationEvent withCapsule(ConversationEvent event, String capsuleId) {
        return ConversationEvent.newBuilder(event).setCapsuleId(capsuleId).build();
    }

    /** Packs reach every instance through a global table: wait until this one has the version. */
    private static void awaitPackVersion(String tenant, long version) {
        awaitGlobalValue(PolicyApp.RULE_PACKS, tenant, (io.soma.streams.avro.RulePack p) -> p.getVersion() == version);
    }

    /** Waits until this instance's global store {@code store} holds a value under {@code key} that {@code wanted} accepts. */
    private static <V> void awaitGlobalValue(String store, String key, Predicate<V> wanted) {
        Await.value(store + "[" + key + "]", GLOBAL_TABLE_TIMEOUT, () -> app.store(StoreQueryParameters.fromNameAndType(
                store, QueryableStoreTypes.<String, V>keyValueStore())).get(key), wanted);
    }

    /** Waits until this instance's global store {@code store} holds nothing under {@code key} (a tombstone was read). */
    private static void awaitGlobalAbsent(String store, String key) {
        Await.until(store + "[" + key + "] deleted", GLOBAL_TABLE_TIMEOUT, () -> app.store(StoreQueryParameters.fromNameAndType(
                store, QueryableStoreTypes.<String, Object>keyValueStore())).get(key) == null);
    }

    private static void awaitDecision(ConversationEvent event, String expected) throws Exception {
        send(Topics.CONVERSATION_EVENTS.name(), event.getSessionId(), event);
        PolicyDecision d = decisions(x -> x.getEventId().equals(event.getEventId()), 1).get(0);
        assertThat(d.getDecision()).isEqualTo(expected);
    }

    /** Sends one record and waits until the broker has it. */
    private static RecordMetadata send(String topic, String key, SpecificRecord value) throws Exception {
        return producer.send(new ProducerRecord<>(topic, key, value)).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static RecordMetadata sendRaw(String topic, String key, byte[] value, String compression) throws Exception {
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(),
                "compression.type", compression, "max.request.size", 8 * 1024 * 1024), new StringSerializer(),
                new ByteArraySerializer())) {
            return raw.send(new ProducerRecord<>(topic, key, value))
                    .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static ConversationEvent event(String session, String id, String text) {
        return event(session, id, text, "xstest");
    }

    private static ConversationEvent event(String session, String id, String text, String tenant) {
        return ConversationEvent.newBuilder()
                .setEventId(session + "-" + id)
                .setSessionId(session)
                .setTenant(tenant)
                .setRole("user")
                .setEventType("conversation.step")
                .setTimestamp(Instant.now())
                .setContent(text)
                .build();
    }

    private static List<PolicyDecision> decisions(Predicate<PolicyDecision> wanted, int n) {
        return CommittedRecords.awaitValues(stack.bootstrapServers(), Topics.POLICY_DECISIONS.name(),
                new StringDeserializer(), serdes.value(Topics.POLICY_DECISIONS).deserializer(), wanted, n);
    }
}
