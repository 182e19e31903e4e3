package io.soma.streams.edge.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.constitution.ConstitutionBundleJson;
import io.soma.streams.topologies.policy.constitution.SignedBundle;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile publishers of {@code POST /v1/constitution} against a whole process on the real broker: replays of a
 * signed document under another tenant or version, a version meant to block every later update, old-style
 * signatures (with {@code constitution.accept.document.only.signatures} at its default), and callers publishing
 * for a tenant not their own.
 */
class ConstitutionPublishIT {
    private static final ConstitutionPublisher PUBLISHER = new ConstitutionPublisher();
    private static EdgeFixture edge;

    @BeforeAll
    static void start() {
        edge = new EdgeFixture(Map.of("constitution.trusted.keys", PUBLISHER.trustedKeysSetting())).awaitReady();
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldRefuseABundleSignedForOneTenantRepublishedForAnother() throws Exception {
        List<String> tenants = EdgeFixture.tenants("replay", 2);
        String owner = tenants.get(0);
        String victim = tenants.get(1);
        SignedBundle genuine = PUBLISHER.sign(ConstitutionPublisher.uniqueDocument(), "1.0.0", owner);

        HttpResponse<String> forVictim = publish(edge.adminToken(), ConstitutionPublisher.replayed(genuine, "1.0.0", victim));
        HttpResponse<String> asGlobal = publish(edge.adminToken(), ConstitutionPublisher.replayed(genuine, "1.0.0", null));

        assertRefused(forVictim, 422, "bad_signature");
        assertRefused(asGlobal, 422, "bad_signature");
        assertThat(edge.get("/v1/constitution/" + victim + "/hash", edge.adminToken()).body())
                .as("nothing of the owner's governs the victim").doesNotContain(genuine.hash());
        // the genuine bundle, for the tenant it was signed for, is accepted
        assertThat(publish(edge.adminToken(), ConstitutionBundleJson.write(genuine)).statusCode()).isEqualTo(202);
    }

    @Test
    void shouldRefuseTheSameSignedDocumentUnderAnotherVersion() throws Exception {
        String tenant = EdgeFixture.tenants("version-replay", 1).get(0);
        SignedBundle genuine = PUBLISHER.sign(ConstitutionPublisher.uniqueDocument(), "1.0.0", tenant);
        assertThat(publish(edge.adminToken(), ConstitutionBundleJson.write(genuine)).statusCode()).isEqualTo(202);
        awaitActiveVersion(tenant, "1.0.0");

        HttpResponse<String> raised = publish(edge.adminToken(), ConstitutionPublisher.replayed(genuine, "1.0.1", tenant));

        assertRefused(raised, 422, "bad_signature");
        assertThat(activeVersion(tenant)).isEqualTo("1.0.0");
    }

    @Test
    void shouldRefuseAnOutOfFormatHugeVersionAndKeepAcceptingLaterUpdates() throws Exception {
        String tenant = EdgeFixture.tenants("huge-version", 1).get(0);
        String document = ConstitutionPublisher.uniqueDocument();
        assertThat(publish(edge.adminToken(), ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.0", tenant)))
                .statusCode()).isEqualTo(202);
        awaitActiveVersion(tenant, "1.0.0");

        // signed by the trusted key itself: only the format stands between this and a scope frozen for ever
        HttpResponse<String> huge = publish(edge.adminToken(),
                ConstitutionBundleJson.write(PUBLISHER.sign(document, "9".repeat(18), tenant)));
        assertRefused(huge, 422, "bad_version");
        assertThat(EdgeFixture.json(huge).get("message").asText()).contains("999999");

        assertThat(publish(edge.adminToken(), ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.1", tenant)))
                .statusCode()).isEqualTo(202);
        awaitActiveVersion(tenant, "1.0.1");
    }

    @Test
    void shouldRefuseANewDocumentWithAMisspeltRuleFieldNamingIt() throws Exception {
        String tenant = EdgeFixture.tenants("misspelt-rule", 1).get(0);
        String document = "{\"title\":\"IT " + UUID.randomUUID()
                + "\",\"rules\":[{\"name\":\"g\",\"pattern\":\"nerve\\\\s+agent\",\"matc\":\"regex\"}]}";

        SignedBundle bundle = PUBLISHER.sign(document, "1.0.0", tenant);
        HttpResponse<String> misspelt = publish(edge.adminToken(), ConstitutionBundleJson.write(bundle));

        assertRefused(misspelt, 422, "malformed");
        assertThat(EdgeFixture.json(misspelt).get("message").asText()).contains("g.matc: unknown field");
    }

    /**
     * A document active before rule fields were checked (here written straight to the topic, as the check does not
     * run in the stream) can still be re-signed as it is, as a key rotation does.
     */
    @Test
    void shouldLetTheActiveDocumentBePublishedAgainWhateverItsRuleFields() throws Exception {
        String tenant = EdgeFixture.tenants("active-again", 1).get(0);
        String document = "{\"title\":\"IT " + UUID.randomUUID()
                + "\",\"rules\":[{\"name\":\"g\",\"pattern\":\"nerve agent\",\"legacy_note\":\"kept\"}]}";
        try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", edge.config().bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(edge.config().schemaRegistryUrl()), false, true))) {
            producer.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), tenant,
                    PolicyAvro.bundle(PUBLISHER.sign(document, "1.0.0", tenant)))).get(30, TimeUnit.SECONDS);
        }
        awaitActiveVersion(tenant, "1.0.0");

        HttpResponse<String> again = publish(edge.adminToken(),
                ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.1", tenant)));

        assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
    }

    /** A hash claimed in capitals verifies, and the scope's hash reads as computed wherever it is shown. */
    @Test
    void shouldActivateABundleWhoseHashIsClaimedInCapitalsUnderItsComputedHash() throws Exception {
        String tenant = EdgeFixture.tenants("hash-case", 1).get(0);
        SignedBundle signed = PUBLISHER.sign(ConstitutionPublisher.uniqueDocument(), "1.0.0", tenant);
        SignedBundle capitals = new SignedBundle(signed.version(), signed.issuedAt(), signed.documentJson(),
                signed.hash().toUpperCase(Locale.ROOT), signed.signature(), signed.tenant());

        HttpResponse<String> accepted = publish(edge.adminToken(), ConstitutionBundleJson.write(capitals));

        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(EdgeFixture.json(accepted).get("hash").asText()).isEqualTo(signed.hash());
        awaitActiveVersion(tenant, "1.0.0");
        assertThat(EdgeFixture.json(edge.get("/v1/constitution/" + tenant + "/hash", edge.adminToken()))
                .get("hash").asText()).isEqualTo(signed.hash());
    }

    @Test
    void shouldRefuseADocumentOnlySignatureByDefault() throws Exception {
        String tenant = EdgeFixture.tenants("legacy", 1).get(0);
        SignedBundle legacy = PUBLISHER.signDocumentOnly(ConstitutionPublisher.uniqueDocument(), "1.0.0", tenant);

        HttpResponse<String> r = publish(edge.adminToken(), ConstitutionBundleJson.write(legacy));

        assertRefused(r, 422, "legacy_signature");
        assertThat(edge.get("/v1/constitution/" + tenant + "/hash", edge.adminToken()).body()).doesNotContain(legacy.hash());
    }

    @Test
    void shouldLetACallerPublishForItsOwnTenantOnlyWithoutThePlatformCapability() throws Exception {
        List<String> tenants = EdgeFixture.tenants("publish-scope", 2);
        String own = tenants.get(0);
        String other = tenants.get(1);
        String publisher = edge.tokenFor(own, "publisher", Set.of(Capability.CONSTITUTION_PUBLISH));
        String document = ConstitutionPublisher.uniqueDocument();

        HttpResponse<String> forOther = publish(publisher, ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.0", other)));
        HttpResponse<String> global = publish(publisher, ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.0", null)));
        HttpResponse<String> forOwn = publish(publisher, ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.0", own)));
        HttpResponse<String> byOperator = publish(edge.tokenFor(own, "operator",
                        Set.of(Capability.CONSTITUTION_PUBLISH, Capability.PLATFORM_OPERATOR)),
                ConstitutionBundleJson.write(PUBLISHER.sign(document, "1.0.0", other)));

        for (HttpResponse<String> refused : List.of(forOther, global)) {
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
            JsonNode body = EdgeFixture.json(refused);
            assertThat(body.get("error").asText()).isEqualTo("forbidden");
            assertThat(body.get("details").get("required_capabilities").get(0).asText()).isEqualTo("platform.operator");
        }
        assertThat(forOwn.statusCode()).as(forOwn.body()).isEqualTo(202);
        assertThat(byOperator.statusCode()).as(byOperator.body()).isEqualTo(202);
        awaitActiveVersion(other, "1.0.0");
    }

    @Test
    void shouldListEveryActivatedVersionNewestFirstToItsTenantOnly() throws Exception {
        List<String> tenants = EdgeFixture.tenants("history", 2);
        String tenant = tenants.get(0);
        String document = ConstitutionPublisher.uniqueDocument();
        SignedBundle first = PUBLISHER.sign(document, "1.0.0", tenant);
        SignedBundle second = PUBLISHER.sign(document, "1.1.0", tenant);
        assertThat(publish(edge.adminToken(), ConstitutionBundleJson.write(first)).statusCode()).isEqualTo(202);
        awaitActiveVersion(tenant, "1.0.0");
        // the tenant's tokens carry the hash of its own constitution, which its gateway sends back as it is
        String gateway = edge.tokenFor(tenant, "gateway", Set.of(Capability.CONVERSATION));
        JsonNode claims = EdgeFixture.json(edge.post("/v1/tokens/verify", gateway,
                EdgeFixture.json(Map.of("token", gateway)))).get("claims");
        assertThat(claims.get("constitution_hash").asText()).isEqualTo(first.hash());
        HttpResponse<String> evaluated = edge.send(edge.request("/v1/evaluate", gateway)
                .header("X-Constitution-Hash", claims.get("constitution_hash").asText())
                .POST(HttpRequest.BodyPublishers.ofString(EdgeFixture.json(Map.of("tenant", tenant, "prompt", "hello")))));
        assertThat(evaluated.statusCode()).as(evaluated.body()).isEqualTo(200);
        assertThat(publish(edge.adminToken(), ConstitutionBundleJson.write(second)).statusCode()).isEqualTo(202);
        String reader = edge.tokenFor(tenant, "reader", Set.of());

        // the archive copies the gate's verdicts a moment after they are committed
        JsonNode history = edge.awaitGet(tenant + "'s two versions in the history", "/v1/constitution/" + tenant
                + "/history", reader, body -> body.path("history").size() == 2);

        assertThat(history.get("scope").asText()).isEqualTo(tenant);
        assertThat(history.get("truncated").asBoolean()).isFalse();
        for (int i = 0; i < 2; i++) {
            SignedBundle expected = i == 0 ? second : first;
            JsonNode row = history.get("history").get(i);
            assertThat(List.of(row.get("outcome").asText(), row.get("version").asText(), row.get("hash").asText(),
                    row.get("key_id").asText(), row.get("issued_at").asText())).as(row.toString()).containsExactly(
                    "activated", expected.version(), expected.hash(), expected.signature().keyId(),
                    expected.issuedAt().toString());
        }
        assertThat(EdgeFixture.json(edge.get("/v1/constitution/" + tenant + "/history?limit=1", reader))
                .get("truncated").asBoolean()).isTrue();
        HttpResponse<String> otherTenant = edge.get("/v1/constitution/" + tenant + "/history",
                edge.tokenFor(tenants.get(1), "reader", Set.of()));
        assertThat(otherTenant.statusCode()).as(otherTenant.body()).isEqualTo(403);
        HttpResponse<String> global = edge.get("/v1/constitution/history", reader);
        assertThat(global.statusCode()).as(global.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(global).get("scope").asText()).isEqualTo("global");
    }

    private static HttpResponse<String> publish(String token, String bundleJson) {
        return edge.post("/v1/constitution", token, bundleJson);
    }

    private static void assertRefused(HttpResponse<String> r, int status, String reason) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(EdgeFixture.json(r).get("details").get("reason").asText()).as(r.body()).isEqualTo(reason);
    }

    /** Published bundles reach the edge through the policy app's gate and global table: wait for the version. */
    private static void awaitActiveVersion(String tenant, String version) {
        edge.awaitGet(tenant + "'s constitution at " + version, "/v1/constitution/" + tenant + "/hash", edge.adminToken(),
                body -> body.path("scope").asText().equals(tenant) && body.path("version").asText().equals(version));
    }

    private static String activeVersion(String tenant) {
        return EdgeFixture.json(edge.get("/v1/constitution/" + tenant + "/hash", edge.adminToken())).get("version").asText();
    }
}
