package io.soma.streams.topologies.policy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.soma.streams.avro.ConstitutionAudit;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.schemas.serde.SchemaRegistryConfig;
import io.soma.streams.testkit.TcpProxy;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.TestDriverSettings;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.runtime.AppSerdes;
import io.soma.streams.topologies.runtime.EventNames;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The policy app's constitution gate on a test driver, reading through a path to the real registry that is cut. */
class ConstitutionGateTopologyIT {

    @Test
    void shouldReadABundleAgainRatherThanRefuseItWhileTheRegistryIsUnreachable() throws Exception {
        String registryUrl = ProvisionedStack.shared().schemaRegistryUrl();
        AppSerdes direct = new AppSerdes(new SchemaRegistryClient(registryUrl));
        Properties props = TestDriverSettings.of("constitution-gate-test", TestPaths.newWorkDir("constitution-gate"));
        try (TcpProxy proxy = TcpProxy.to(URI.create(registryUrl))) {
            // the app's own client, through the proxy, no retries inside it
            AppSerdes app = new AppSerdes(new SchemaRegistryClient(SchemaRegistryConfig.oneAttempt(proxy.url())));
            try (TopologyTestDriver driver = new TopologyTestDriver(PolicyApp.build(new PolicyApp.Config(
                    new ConstitutionVerifier(List.of(ExamplePolicy.trustedKey())),
                    new PolicyMetrics(new PrometheusRegistry())), app), props)) {
                gateThroughTheOutage(driver, direct, proxy);
            }
        }
    }

    /**
     * A scope's bundles are checked against its active version in its key's partition: a bundle keyed otherwise,
     * written to the topic directly, would meet no active version there, and an older one would be activated again.
     */
    @Test
    void shouldRefuseABundleKeyedOtherwiseThanItsScope() {
        try (Gate gate = new Gate("constitution-gate-key-test")) {
            // the example's global bundle, authentic, keyed as a tenant's
            gate.driver.createInputTopic(Topics.CONSTITUTION_UPDATED.name(), new StringSerializer(),
                            gate.serdes.value(Topics.CONSTITUTION_UPDATED).serializer())
                    .pipeInput("acme", PolicyAvro.bundle(ExamplePolicy.bundle()));

            gate.assertRefusedOnly("keyed 'acme'", "scope 'global'");
        }
    }

    /**
     * A bundle written to the topic directly may carry a field of most of a megabyte; quoted in its audit, field and
     * message, it made a record over the audit topic's limit, and the transaction failed on every retry.
     */
    @Test
    void shouldKeepTheAuditOfABundleWithAHugeKeyIdSmall() {
        try (Gate gate = new Gate("constitution-gate-huge-test")) {
            ConstitutionBundle huge = PolicyAvro.bundle(ExamplePolicy.bundle());
            huge.getSignature().setKeyId("k".repeat(600_000));
            gate.driver.createInputTopic(Topics.CONSTITUTION_UPDATED.name(), new StringSerializer(),
                    gate.serdes.value(Topics.CONSTITUTION_UPDATED).serializer()).pipeInput(Constitution.GLOBAL_SCOPE, huge);

            ConstitutionAudit audit = gate.audits.readValue();
            assertThat(audit.getOutcome()).isEqualTo(PolicyApp.REFUSED);
            assertThat(audit.getReason()).isEqualTo("unknown_key");
            assertThat(audit.getKeyId()).startsWith("kkk").hasSizeLessThanOrEqualTo(EventNames.MAX_CHARS + 1);
            assertThat(audit.getMessage()).hasSizeLessThanOrEqualTo(PolicyApp.MAX_MESSAGE_CHARS + 1);
        }
    }

    /** A constitution is replaced by a newer bundle, never deleted: a tombstone is refused like any bad bundle. */
    @Test
    void shouldRefuseATombstoneAndCountIt() {
        try (Gate gate = new Gate("constitution-gate-tombstone-test")) {
            gate.driver.createInputTopic(Topics.CONSTITUTION_UPDATED.name(), new StringSerializer(),
                    new ByteArraySerializer()).pipeInput("acme", (byte[]) null);

            gate.assertRefusedOnly("tombstone");
            assertThat(gate.metrics.scrape().stream().filter(m -> m.getMetadata().getName()
                    .equals("constitution_rejections")).findFirst().orElseThrow().getDataPoints())
                    .singleElement().satisfies(p -> assertThat(((CounterSnapshot.CounterDataPointSnapshot) p)
                            .getValue()).isEqualTo(1.0));
        }
    }

    /**
     * The archive keeps one row per audit id. A replay of a bundle record repeats its id, but on a topic created
     * again offsets restart at 0: the same offset names another record, whose audit must not pass for a copy.
     */
    @Test
    void shouldNameAnAuditByItsBundleRecordSoThatOnlyAReplayRepeatsIt() {
        Instant published = Instant.parse("2026-12-01T10:00:00Z");
        String first = judgedAt("constitution-gate-id-test", published);
        assertThat(judgedAt("constitution-gate-id-replay-test", published)).as("a replay").isEqualTo(first);
        assertThat(judgedAt("constitution-gate-id-recreated-test", published.plusSeconds(3600)))
                .as("the same offset of a topic created again").isNotEqualTo(first);
        assertThat(first).startsWith(Topics.CONSTITUTION_UPDATED.name() + "/0/0");
    }

    /** The audit id of the example's global bundle, the first record of a new topic, published at {@code time}. */
    private static String judgedAt(String appId, Instant time) {
        try (Gate gate = new Gate(appId)) {
            gate.driver.createInputTopic(Topics.CONSTITUTION_UPDATED.name(), new StringSerializer(),
                            gate.serdes.value(Topics.CONSTITUTION_UPDATED).serializer())
                    .pipeInput(Constitution.GLOBAL_SCOPE, PolicyAvro.bundle(ExamplePolicy.bundle()), time);
            ConstitutionAudit audit = gate.audits.readValue();
            assertThat(audit.getOutcome()).isEqualTo(PolicyApp.ACTIVATED);
            return audit.getEventId();
        }
    }

    /** The gate on a test driver over the real registry, with its output topics. */
    private static final class Gate implements AutoCloseable {
        final AppSerdes serdes = new AppSerdes(new SchemaRegistryClient(ProvisionedStack.shared().schemaRegistryUrl()));
        final PrometheusRegistry metrics = new PrometheusRegistry();
        final TopologyTestDriver driver;
        final TestOutputTopic<String, ConstitutionAudit> audits;
        final TestOutputTopic<String, byte[]> deadLetters;
        final TestOutputTopic<String, ConstitutionBundle> active;

        Gate(String appId) {
            driver = new TopologyTestDriver(PolicyApp.build(new PolicyApp.Config(
                    new ConstitutionVerifier(List.of(ExamplePolicy.trustedKey())), new PolicyMetrics(metrics)), serdes),
                    TestDriverSettings.of(appId, TestPaths.newWorkDir(appId)));
            audits = driver.createOutputTopic(Topics.CONSTITUTION_AUDIT.name(), new StringDeserializer(),
                    serdes.value(Topics.CONSTITUTION_AUDIT).deserializer());
            deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER, new StringDeserializer(),
                    new ByteArrayDeserializer());
            active = driver.createOutputTopic(Topics.CONSTITUTION_ACTIVE.name(), new StringDeserializer(),
                    serdes.value(Topics.CONSTITUTION_ACTIVE).deserializer());
        }

        /** One record in: refused as malformed and audited with a message naming {@code says}, nothing activated. */
        void assertRefusedOnly(String... says) {
            assertThat(audits.readValuesToList()).singleElement().satisfies(a -> {
                assertThat(a.getOutcome()).isEqualTo(PolicyApp.REFUSED);
                assertThat(a.getReason()).isEqualTo("malformed");
                assertThat(a.getMessage()).contains(says);
            });
            assertThat(deadLetters.readRecordsToList()).hasSize(1);
            assertThat(active.isEmpty()).as("nothing activated").isTrue();
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    /** A bundle read while the registry is cut, then once it is back. */
    private static void gateThroughTheOutage(TopologyTestDriver driver, AppSerdes direct, TcpProxy proxy) {
        TestInputTopic<String, ConstitutionBundle> bundles = driver.createInputTopic(
                Topics.CONSTITUTION_UPDATED.name(), new StringSerializer(),
                direct.value(Topics.CONSTITUTION_UPDATED).serializer());
        TestOutputTopic<String, ConstitutionAudit> audits = driver.createOutputTopic(
                Topics.CONSTITUTION_AUDIT.name(), new StringDeserializer(),
                direct.value(Topics.CONSTITUTION_AUDIT).deserializer());
        TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER,
                new StringDeserializer(), new ByteArrayDeserializer());
        ConstitutionBundle bundle = PolicyAvro.bundle(ExamplePolicy.bundle());
        // a record that is no bundle at all, while the registry answers: refused, so the app has written an audit
        // record (its schema is known from then on) but has never read a bundle
        driver.createInputTopic(Topics.CONSTITUTION_UPDATED.name(), new StringSerializer(), new ByteArraySerializer())
                .pipeInput(Constitution.GLOBAL_SCOPE, "not a bundle".getBytes(StandardCharsets.UTF_8));
        assertThat(audits.readValuesToList()).singleElement()
                .satisfies(a -> assertThat(a.getReason()).isEqualTo("malformed"));
        deadLetters.readRecordsToList();
        proxy.cut();

        // the task fails, so that Kafka Streams hands the bundle over again: no refusal is audited for good
        assertThatThrownBy(() -> bundles.pipeInput(Constitution.GLOBAL_SCOPE, bundle))
                .isInstanceOf(StreamsException.class);
        assertThat(audits.isEmpty()).as("nothing audited").isTrue();
        assertThat(deadLetters.isEmpty()).as("nothing dead-lettered").isTrue();

        proxy.restore();
        bundles.pipeInput(Constitution.GLOBAL_SCOPE, bundle);
        assertThat(audits.readValuesToList()).singleElement()
                .satisfies(a -> assertThat(a.getOutcome()).isEqualTo(PolicyApp.ACTIVATED));
    }
}
