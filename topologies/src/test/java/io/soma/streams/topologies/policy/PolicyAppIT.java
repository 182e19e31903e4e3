package io.soma.streams.topologies.policy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.replay.XsTestPrompts;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.StreamsSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** The policy app on the real broker and registry, with the example pack, the signed example constitution and XSTest prompts. */
class PolicyAppIT {
    private static final CloseOptions LEAVE_GROUP = CloseOptions
            .groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30));
    @TempDir
    static Path stateDir;
    private static LocalStack stack;
    private static AppSerdes serdes;
    private static KafkaProducer<String, org.apache.avro.specific.SpecificRecord> producer;
    private static final String APP_ID = "policy-it-" + UUID.randomUUID();
    private static KafkaStreams app;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.shared();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.schemaRegistryUrl());
        new SchemaRegistrar(registry).registerAll(Topics.valueSchemas());
        TopicProvisioner.ensure(stack.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
        serdes = new AppSerdes(registry);
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()), new StringSerializer(),
                new io.soma.streams.schemas.serde.AvroSerializer<>(registry, false, true));
        // the signed example constitution and the example pack, as the demo loads them
        producer.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), "global",
                PolicyAvro.bundle(ExamplePolicy.bundle()))).get();
        producer.send(new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), "xstest",
                PolicyAvro.rulePack(ExamplePolicy.rulePack()))).get();
        app = startApp();
    }

    @AfterAll
    static void stop() {
        app.close(LEAVE_GROUP);
        producer.close();
    }

    private static KafkaStreams startApp() throws InterruptedException {
        KafkaStreams streams = new KafkaStreams(PolicyApp.build(
                new PolicyApp.Config(List.of(ExamplePolicy.trustedKey()), new PolicyMetrics(new PrometheusRegistry())), serdes),
                StreamsSettings.local(stack.bootstrapServers(), stack.schemaRegistryUrl(), stateDir).forApp(APP_ID));
        streams.start();
        long deadline = System.currentTimeMillis() + 60_000;
        while (streams.state() != KafkaStreams.State.RUNNING && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        return streams;
    }

    @Test
    void shouldDecideEveryXsTestPromptOnceUnderTheExampleConstitution() throws Exception {
        String session = "xs-" + UUID.randomUUID();
        List<XsTestPrompts.Prompt> prompts = XsTestPrompts.read(XsTestPrompts.file(dataDir())).subList(0, 60);
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
        producer.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), "global", PolicyAvro.bundle(tampered))).get();

        Map<String, String> headers = deadLetterHeaders(Topics.CONSTITUTION_UPDATED.name());
        assertThat(headers.get(DlqHeaders.REASON)).startsWith("bad_signature");
        // the genuine constitution still governs new events
        String session = "after-tamper-" + UUID.randomUUID();
        producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), session, event(session, "1", "hello"))).get();
        PolicyDecision d = decisions(x -> x.getSessionId().equals(session), 1).get(0);
        assertThat(d.getConstitutionHash()).isEqualTo(ExamplePolicy.constitution().hash());
    }

    @Test
    void shouldApplyARulePackUpdateToLaterEventsAndSurviveARestart() throws Exception {
        String tenant = "pack-" + UUID.randomUUID();
        RulePack v1 = new RulePack(tenant, 1, List.of(Rule.withDefaults("no-secrets", "secret")), Instant.now(), "it");
        producer.send(new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(v1))).get();
        awaitPackVersion(tenant, 1);
        String session = "pack-session-" + UUID.randomUUID();
        ConversationEvent first = event(session, "a", "the word is secret", tenant);
        awaitDecision(first, "deny");

        RulePack v2 = new RulePack(tenant, 2, List.of(), Instant.now(), "it");
        producer.send(new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), tenant, PolicyAvro.rulePack(v2))).get();
        awaitPackVersion(tenant, 2);
        ConversationEvent later = event(session, "b", "the word is secret", tenant);
        awaitDecision(later, "allow");

        // restart: state intact, nothing decided twice
        app.close(LEAVE_GROUP);
        app = startApp();
        ConversationEvent afterRestart = event(session, "c", "the word is secret", tenant);
        awaitDecision(afterRestart, "allow");
        List<PolicyDecision> all = decisions(d -> d.getSessionId().equals(session), 3);
        Map<String, Integer> perEvent = new HashMap<>();
        all.forEach(d -> perEvent.merge(d.getEventId(), 1, Integer::sum));
        assertThat(perEvent).containsOnlyKeys(first.getEventId(), later.getEventId(), afterRestart.getEventId());
        assertThat(perEvent.values()).containsOnly(1);
    }

    /** Packs reach every instance through a global table: wait until this one has the version. */
    private static void awaitPackVersion(String tenant, long version) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        Long seen = null;
        while (System.currentTimeMillis() < deadline) {
            io.soma.streams.avro.RulePack pack = app.store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(
                    PolicyApp.RULE_PACKS, org.apache.kafka.streams.state.QueryableStoreTypes
                            .<String, io.soma.streams.avro.RulePack>keyValueStore())).get(tenant);
            seen = pack == null ? null : pack.getVersion();
            if (seen != null && seen == version) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("rule pack of " + tenant + " stayed at version " + seen);
    }

    private static void awaitDecision(ConversationEvent event, String expected) throws Exception {
        producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), event.getSessionId(), event)).get();
        PolicyDecision d = decisions(x -> x.getEventId().equals(event.getEventId()), 1).get(0);
        assertThat(d.getDecision()).isEqualTo(expected);
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
        List<PolicyDecision> found = new ArrayList<>();
        try (KafkaConsumer<String, PolicyDecision> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "policy-it-reader-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), serdes.value(Topics.POLICY_DECISIONS).deserializer())) {
            consumer.subscribe(List.of(Topics.POLICY_DECISIONS.name()));
            long deadline = System.currentTimeMillis() + 60_000;
            long settle = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, settle)) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (wanted.test(r.value())) {
                        found.add(r.value());
                    }
                });
                if (found.size() >= n && settle == Long.MAX_VALUE) {
                    settle = System.currentTimeMillis() + 1_000; // a duplicate would show up now
                }
            }
        }
        return found;
    }

    private static Map<String, String> deadLetterHeaders(String sourceTopic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "policy-it-dlq-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(DlqHeaders.TOPIC));
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, String> headers = new HashMap<>();
                    r.headers().forEach(h -> headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8)));
                    if (sourceTopic.equals(headers.get(DlqHeaders.SOURCE_TOPIC))) {
                        return headers;
                    }
                }
            }
        }
        throw new AssertionError("no dead letter from " + sourceTopic);
    }

    private static Path dataDir() {
        return Path.of(System.getProperty("soma.data.dir", "../../shared/data"));
    }
}
