package io.soma.streams.edge.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.KafkaState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant's admins retire a leaked API key and replace it themselves, through the real edge, PostgreSQL, Redis and
 * the identity audit on the real broker.
 */
class ApiKeyRoutesIT {
    private static final ConfigResource IDENTITY_AUDIT = new ConfigResource(ConfigResource.Type.TOPIC,
            Topics.IDENTITY_AUDIT.name());
    /** How long a topic config change may take to reach the broker's log. */
    private static final Duration REFUSAL_APPLIED = Duration.ofSeconds(30);
    private static EdgeFixture edge;
    private static String tenant;
    private static String adminKey;
    private static String adminToken;

    @BeforeAll
    static void start() {
        edge = EdgeFixture.withSlices(List.of(IdentitySlice::start), Map.of()).awaitReady();
        tenant = EdgeFixture.tenants("api-keys", 1).get(0);
        HttpResponse<String> created = edge.post("/v1/tenants", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant_id", tenant, "admin_subject", "first-admin")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        adminKey = EdgeFixture.json(created).at("/admin/api_key").asText();
        adminToken = tokenOf(exchange(adminKey));
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    @Test
    void shouldReplaceALeakedKeyWithoutAPlatformOperator() {
        HttpResponse<String> created = edge.post(keys(), adminToken,
                EdgeFixture.json(Map.of("subject", "first-admin", "label", "replacement")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("Cache-Control")).hasValue("no-store");
        String replacement = EdgeFixture.json(created).get("api_key").asText();
        String replacementId = EdgeFixture.json(created).get("key_id").asText();
        assertThat(exchange(replacement).statusCode()).isEqualTo(201);

        HttpResponse<String> listed = edge.get(keys(), adminToken);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).as("a list shows ids, never keys").doesNotContain(adminKey, replacement);
        JsonNode leaked = EdgeFixture.json(listed).get("api_keys").get(0);
        assertThat(leaked.get("label").asText()).isEqualTo("tenant-admin");
        assertThat(leaked.get("revoked_at").isNull()).isTrue();
        String leakedId = leaked.get("key_id").asText();

        HttpResponse<String> revoked = revoke(leakedId, adminToken);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(revoked).get("already_revoked").asBoolean()).isFalse();
        HttpResponse<String> refused = exchange(adminKey);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(EdgeFixture.json(refused).at("/details/reason").asText()).isEqualTo("unknown_api_key");
        assertThat(exchange(replacement).statusCode()).as("the replacement still works").isEqualTo(201);
        assertThat(EdgeFixture.json(edge.get(keys(), adminToken)).get("api_keys").get(0).get("revoked_at").isNull())
                .isFalse();
        assertThat(EdgeFixture.json(revoke(leakedId, adminToken)).get("already_revoked").asBoolean()).isTrue();
        assertThat(revoke("0123456789abcdef", adminToken).statusCode()).isEqualTo(404);

        List<IdentityAudit> audits = CommittedRecords.awaitValues(edge.config().bootstrapServers(),
                Topics.IDENTITY_AUDIT.name(), Topics.IDENTITY_AUDIT.keySerde().deserializer(),
                Topics.IDENTITY_AUDIT.valueSerde(new SchemaRegistryClient(edge.config().schemaRegistryUrl()))
                        .deserializer(),
                a -> a.getTenant().equals(tenant) && a.getAction().startsWith("api_key.")
                        && "first-admin".equals(a.getActor())
                        && Set.of(replacementId, leakedId).contains(a.getDetails().get("api_key_id")), 3);
        // a revocation is audited at every call under one event id, which the archive keeps once
        assertThat(audits.stream().map(a -> a.getEventId() + " " + a.getAction() + " " + a.getDetails()
                .get("api_key_id") + " by " + a.getActor()).distinct().map(a -> a.substring(a.indexOf(' ') + 1)))
                .containsExactly(IdentityEvent.API_KEY_CREATED + " " + replacementId + " by first-admin",
                        IdentityEvent.API_KEY_REVOKED + " " + leakedId + " by first-admin");
    }

    @Test
    void shouldNotLetAnAdminActOnTheKeysOfAUserWhoHoldsMoreThanItDoes() {
        String narrowAdmin = edge.tokenFor(tenant, "narrow-admin", Set.of(Capability.IDENTITY_ADMIN));

        HttpResponse<String> created = edge.post(keys(), narrowAdmin, EdgeFixture.json(Map.of("subject", "first-admin")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(403);
        assertThat(EdgeFixture.json(created).at("/details/required_capabilities").toString())
                .contains(Capability.POLICY_ADMIN.claim());
        String keyOfFirstAdmin = EdgeFixture.json(edge.get(keys(), adminToken)).get("api_keys").get(0).get("key_id")
                .asText();
        assertThat(revoke(keyOfFirstAdmin, narrowAdmin).statusCode()).isEqualTo(403);
        // its own key, and an unknown user's, are answered as such
        assertThat(edge.post(keys(), narrowAdmin, EdgeFixture.json(Map.of("subject", "narrow-admin"))).statusCode())
                .isEqualTo(201);
        HttpResponse<String> unknown = edge.post(keys(), narrowAdmin, EdgeFixture.json(Map.of("subject", "nobody")));
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(EdgeFixture.json(unknown).at("/details/field").asText()).isEqualTo("subject");
    }

    /** A token outlives its user's demotion by up to an hour: that hour must not become a key that never expires. */
    @Test
    void shouldRefuseAnAdminWhoseUserNoLongerHoldsIdentityAdmin() {
        String demoted = edge.tokenFor(tenant, "demoted-admin", Set.of(Capability.IDENTITY_ADMIN, Capability.AUDIT_READ));
        // what PostgreSQL holds for the user now; the first token still says identity.admin
        edge.tokenFor(tenant, "demoted-admin", Set.of(Capability.AUDIT_READ));

        HttpResponse<String> created = edge.post(keys(), demoted, EdgeFixture.json(Map.of("subject", "demoted-admin")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(403);
        assertThat(created.body()).doesNotContain("api_key\"");
        assertThat(edge.get(keys(), demoted).statusCode()).isEqualTo(403);
    }

    /**
     * A platform operator demoted in PostgreSQL keeps its token for up to an hour: no key or tenant that outlives it
     * comes of that hour, and no other tenant's key is listed or revoked with it.
     */
    @Test
    void shouldNotActOnAnotherTenantsCredentialsOnceItsUserIsNoLongerAPlatformOperator() {
        String home = EdgeFixture.tenants("api-keys-operator", 1).get(0);
        String operator = edge.tokenFor(home, "demoted-operator", Capability.all());
        // what PostgreSQL holds for the user now; the first token still says platform.operator
        edge.tokenFor(home, "demoted-operator", Capability.tenantAdmin());

        HttpResponse<String> created = edge.post(keys(), operator, EdgeFixture.json(Map.of("subject", "first-admin")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(403);
        assertThat(created.body()).doesNotContain("api_key\"").contains(Capability.PLATFORM_OPERATOR.claim());
        assertThat(edge.get(keys(), operator).statusCode()).isEqualTo(403);
        String keyOfFirstAdmin = EdgeFixture.json(edge.get(keys(), adminToken)).get("api_keys").get(0).get("key_id")
                .asText();
        assertThat(revoke(keyOfFirstAdmin, operator).statusCode()).isEqualTo(403);
        HttpResponse<String> tenantMade = edge.post("/v1/tenants", operator, EdgeFixture.json(Map.of(
                "tenant_id", home + "-made", "admin_subject", "admin")));
        assertThat(tenantMade.statusCode()).as(tenantMade.body()).isEqualTo(403);
        assertThat(tenantMade.body()).doesNotContain("api_key\"");
        assertThat(edge.get("/v1/tenants", operator).statusCode()).isEqualTo(403);
    }

    /** The process retires every key labelled as the bootstrap key's at its next start, but the configured one. */
    @Test
    void shouldRefuseTheBootstrapKeysLabel() {
        HttpResponse<String> reserved = edge.post(keys(), adminToken,
                EdgeFixture.json(Map.of("subject", "first-admin", "label", "bootstrap")));

        assertThat(reserved.statusCode()).as(reserved.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(reserved).at("/details/field").asText()).isEqualTo("label");
    }

    /**
     * Kafka refusing the audit of a new credential: the key or tenant it made is not kept (nobody was shown it, and
     * nothing says it was made), and a retry makes the tenant again.
     */
    @Test
    void shouldKeepNoCredentialWhoseCreationCouldNotBeAudited() throws Exception {
        String run = "unaudited-" + Long.toString(System.nanoTime(), 36) + "-";
        AtomicInteger attempts = new AtomicInteger();
        HttpResponse<String> refusedKey;
        String refusedLabel;
        HttpResponse<String> refusedTenant;
        String refusedTenantId;
        try (AuditRefused refusing = new AuditRefused()) {
            // until the broker applies the limit, a creation is audited and kept, as it should be
            refusedKey = Await.value("a key whose audit Kafka refuses", REFUSAL_APPLIED, () -> edge.post(keys(),
                    adminToken, EdgeFixture.json(Map.of("subject", "first-admin",
                            "label", run + attempts.incrementAndGet()))), r -> r.statusCode() != 201);
            refusedLabel = run + attempts.get();
            refusedTenant = Await.value("a tenant whose audit Kafka refuses", REFUSAL_APPLIED, () -> edge.post(
                    "/v1/tenants", edge.adminToken(), EdgeFixture.json(Map.of("tenant_id",
                            run + attempts.incrementAndGet(), "admin_subject", "first-admin"))),
                    r -> r.statusCode() != 201);
            refusedTenantId = run + attempts.get();
        }

        assertThat(refusedKey.statusCode()).as(refusedKey.body()).isEqualTo(413);
        assertThat(refusedKey.body()).doesNotContain("api_key\"");
        assertThat(EdgeFixture.json(edge.get(keys(), adminToken)).get("api_keys").findValuesAsText("label"))
                .doesNotContain(refusedLabel);
        assertThat(refusedTenant.statusCode()).as(refusedTenant.body()).isEqualTo(413);
        assertThat(refusedTenant.body()).doesNotContain("api_key\"");
        HttpResponse<String> again = Await.value("the tenant made again", REFUSAL_APPLIED, () -> edge.post("/v1/tenants",
                edge.adminToken(), EdgeFixture.json(Map.of("tenant_id", refusedTenantId))), r -> r.statusCode() != 413);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
    }

    /**
     * A revocation whose audit Kafka refused has revoked the key (it is not given back: it may have leaked), and is
     * audited, once, when the admin retries it, naming the admin who revoked it.
     */
    @Test
    void shouldAuditARevocationWhoseAuditFailedWhenItIsRetried() throws Exception {
        HttpResponse<String> created = edge.post(keys(), adminToken, EdgeFixture.json(Map.of("subject", "first-admin",
                "label", "revoked-unaudited")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String keyId = EdgeFixture.json(created).get("key_id").asText();
        String key = EdgeFixture.json(created).get("api_key").asText();
        HttpResponse<String> refused;
        try (AuditRefused refusing = new AuditRefused()) {
            // a creation refused: the limit is applied, so the revocation's audit is refused too
            Await.value("the broker refusing audits", REFUSAL_APPLIED, () -> edge.post(keys(), adminToken,
                    EdgeFixture.json(Map.of("subject", "first-admin"))), r -> r.statusCode() != 201);
            refused = revoke(keyId, adminToken);
        }
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(413);
        assertThat(exchange(key).statusCode()).as("revoked all the same").isEqualTo(401);

        HttpResponse<String> retried = Await.value("the revocation retried", REFUSAL_APPLIED,
                () -> revoke(keyId, adminToken), r -> r.statusCode() != 413);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(retried).get("already_revoked").asBoolean()).isTrue();
        List<IdentityAudit> audits = CommittedRecords.awaitValues(edge.config().bootstrapServers(),
                Topics.IDENTITY_AUDIT.name(), Topics.IDENTITY_AUDIT.keySerde().deserializer(),
                Topics.IDENTITY_AUDIT.valueSerde(new SchemaRegistryClient(edge.config().schemaRegistryUrl()))
                        .deserializer(),
                a -> a.getAction().equals(IdentityEvent.API_KEY_REVOKED)
                        && keyId.equals(a.getDetails().get("api_key_id")), 1);
        assertThat(audits).singleElement().satisfies(a -> {
            assertThat(a.getActor()).isEqualTo("first-admin");
            assertThat(a.getTenant()).isEqualTo(tenant);
        });
    }

    /**
     * While open, the identity audit topic refuses every record (its record limit is below any audit's size); closed,
     * the topic's own limit is back.
     */
    private static final class AuditRefused implements AutoCloseable {
        private final Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                edge.config().bootstrapServers()));
        private final ConfigEntry limit;

        AuditRefused() throws Exception {
            limit = admin.describeConfigs(List.of(IDENTITY_AUDIT)).all().get(30, TimeUnit.SECONDS)
                    .get(IDENTITY_AUDIT).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            change(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "64"),
                    AlterConfigOp.OpType.SET), "64");
        }

        @Override
        public void close() throws Exception {
            try (admin) {
                // as it was: the topic's own setting, or none
                change(new AlterConfigOp(limit, limit.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG
                        ? AlterConfigOp.OpType.SET : AlterConfigOp.OpType.DELETE), limit.value());
            }
        }

        /** Changes the topic's limit, and waits until the broker reads {@code applied}. */
        private void change(AlterConfigOp op, String applied) throws Exception {
            admin.incrementalAlterConfigs(Map.of(IDENTITY_AUDIT, List.of(op))).all().get(30, TimeUnit.SECONDS);
            KafkaState.awaitTopicConfig(admin, IDENTITY_AUDIT.name(), TopicConfig.MAX_MESSAGE_BYTES_CONFIG, applied);
        }
    }

    private static String keys() {
        return "/v1/tenants/" + tenant + "/api-keys";
    }

    private static HttpResponse<String> revoke(String keyId, String token) {
        return edge.send(edge.request(keys() + "/" + keyId, token).DELETE());
    }

    private static HttpResponse<String> exchange(String apiKey) {
        return edge.send(edge.request("/v1/tokens/issue", null).header("X-Api-Key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    }

    private static String tokenOf(HttpResponse<String> issued) {
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        return EdgeFixture.json(issued).get("token").asText();
    }
}
