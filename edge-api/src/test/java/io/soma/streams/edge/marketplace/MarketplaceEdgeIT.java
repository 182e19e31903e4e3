package io.soma.streams.edge.marketplace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.audit.ArchiveSlice;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.stores.archive.PostgresPool;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.SseClient;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.marketplace.Attestation;
import io.soma.streams.topologies.marketplace.CapsuleManifest;
import io.soma.streams.topologies.marketplace.ComplianceChecks;
import io.soma.streams.topologies.marketplace.MarketplaceLimits;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.policy.constitution.Pem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The marketplace through the edge, with only identity, the marketplace and the archive running: real registry
 * entries signed by a publisher key of this class and submitted over HTTP, listed, filtered and paged, read back with
 * their findings, taken through the review workflow (allowed steps 200, the rest refused with the app's reason), the
 * catalog change stream, and the audit archived in PostgreSQL, one row per outcome.
 */
class MarketplaceEdgeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SUBMITTED = 25;
    /** This run's capsules: the ids are prefixed so an earlier run's catalog on the shared broker is not ours. */
    private static final String RUN = "edge-it-" + UUID.randomUUID() + "-";
    private static final String KEY_ID = "marketplace-edge-it-ed25519";
    private static final List<McpRegistry.Entry> ENTRIES = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()))
            .stream().filter(e -> !e.capsuleId().isEmpty()).limit(SUBMITTED).toList();
    private static final ComplianceChecks CHECKS = new ComplianceChecks(ComplianceChecks.Config.defaults());

    private static EdgeFixture edge;
    private static KeyPair publisherKey;
    private static String publisher;
    private static String publisherToken;
    private static String reviewerToken;
    private static String selfReviewerToken;
    private static String readerToken;

    @BeforeAll
    static void start() throws Exception {
        List<String> tenants = EdgeFixture.tenants("marketplace", 3);
        publisher = tenants.get(0);
        publisherKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Path publicKey = TestPaths.newWorkDir("marketplace-keys").resolve("publisher.pub.pem");
        Files.writeString(publicKey, Pem.write(publisherKey.getPublic()));
        edge = EdgeFixture.withSlices(List.of(IdentitySlice::start, MarketplaceSlice::start, ArchiveSlice::start),
                Map.of("marketplace.trusted.keys", publisher + ":" + KEY_ID + "=" + publicKey)).awaitReady();
        publisherToken = edge.tokenFor(publisher, "publisher-user",
                Set.of(Capability.MARKETPLACE_PUBLISH, Capability.MARKETPLACE_READ));
        reviewerToken = edge.tokenFor(tenants.get(1), "reviewer",
                Set.of(Capability.MARKETPLACE_REVIEW, Capability.MARKETPLACE_READ));
        // a reviewer of the publisher's own tenant: the app refuses its approvals
        selfReviewerToken = edge.tokenFor(publisher, "publisher-reviewer", Set.of(Capability.MARKETPLACE_REVIEW));
        readerToken = edge.tokenFor(tenants.get(2), "reader", Capability.tenantAdmin());
        for (McpRegistry.Entry entry : ENTRIES) {
            HttpResponse<String> r = submit(publisherToken, capsuleId(entry), entry.manifest(), sign(entry));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(EdgeFixture.json(r).get("status").asText()).isEqualTo("submitted");
        }
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldListFilterAndPageTheWholeCatalogOfAPublisher() {
        String all = "/v1/marketplace/capsules?publisher=" + publisher + "&size=10";
        edge.awaitGet("the publisher's capsules in the catalog", all, readerToken,
                page -> page.get("total").asInt() == SUBMITTED);

        List<String> paged = new ArrayList<>();
        for (int page = 1; page <= 3; page++) {
            JsonNode body = EdgeFixture.json(edge.get(all + "&page=" + page, readerToken));
            assertThat(body.get("items")).hasSize(page < 3 ? 10 : SUBMITTED - 20);
            body.get("items").forEach(item -> paged.add(item.get("capsule_id").asText()));
        }
        assertThat(paged).isSorted().doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(ENTRIES.stream().map(MarketplaceEdgeIT::capsuleId).toList());

        McpRegistry.Entry one = ENTRIES.get(7);
        JsonNode found = EdgeFixture.json(edge.get("/v1/marketplace/capsules?publisher=" + publisher + "&q="
                + capsuleId(one), readerToken));
        assertThat(found.get("total").asInt()).isEqualTo(1);
        assertThat(found.get("items").get(0).get("name").asText()).isEqualTo(one.manifest().name());
        JsonNode byStatus = EdgeFixture.json(edge.get("/v1/marketplace/capsules?publisher=" + publisher
                + "&status=submitted&size=100", readerToken));
        assertThat(byStatus.get("items").findValuesAsText("status")).containsOnly("submitted");
        assertThat(edge.get("/v1/marketplace/capsules?status=pending", readerToken).statusCode()).isEqualTo(400);
        assertThat(edge.get("/v1/marketplace/capsules?size=101", readerToken).statusCode()).isEqualTo(400);
    }

    @Test
    void shouldShowACapsuleWithItsFindingsAndHistory() {
        // past the first three, which the other tests review or resubmit
        McpRegistry.Entry entry = ENTRIES.stream().skip(3).filter(e -> CHECKS.check(e.manifest()).size() >= 2)
                .findFirst().orElseThrow();
        JsonNode capsule = EdgeFixture.json(edge.get("/v1/marketplace/capsules/" + capsuleId(entry), readerToken));

        assertThat(capsule.get("publisher").asText()).isEqualTo(publisher);
        assertThat(capsule.get("key_id").asText()).isEqualTo(KEY_ID);
        assertThat(capsule.get("manifest").get("name").asText()).isEqualTo(entry.manifest().name());
        assertThat(capsule.get("findings").findValuesAsText("check")).isEqualTo(
                CHECKS.check(entry.manifest()).stream().map(f -> f.check().wire()).toList());
        assertThat(capsule.get("history").findValuesAsText("action")).containsExactly("submitted");
        // the versions come from their own store, the digest with them
        assertThat(capsule.get("attested_versions").properties()).singleElement().satisfies(v -> {
            assertThat(v.getKey()).isEqualTo(entry.manifest().version());
            assertThat(v.getValue().asText()).isEqualTo(capsule.get("manifest_digest").asText());
        });
        assertThat(edge.get("/v1/marketplace/capsules/" + RUN + "no-such-capsule", readerToken).statusCode())
                .isEqualTo(404);
    }

    @Test
    void shouldListACapsulesSummaryWithItsDescriptionCutAndShowItWhole() {
        McpRegistry.Entry entry = ENTRIES.get(SUBMITTED - 1);
        String description = "A long description. ".repeat(500);
        CapsuleManifest wordy = CapsuleManifest.fromJson(entry.manifest().toJson().put("version", "wordy")
                .put("description", description));
        HttpResponse<String> submitted = submit(publisherToken, capsuleId(entry), wordy,
                Attestation.sign(capsuleId(entry), publisher, wordy, KEY_ID, publisherKey.getPrivate()));
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);

        JsonNode listed = edge.awaitGet("the wordy version listed", "/v1/marketplace/capsules?q=" + capsuleId(entry),
                readerToken, page -> page.path("items").path(0).path("version").asText().equals("wordy"))
                .get("items").get(0);
        assertThat(listed.get("description").asText())
                .isEqualTo(description.substring(0, CapsuleSummary.DESCRIPTION_CHARS) + "…");
        JsonNode whole = EdgeFixture.json(edge.get("/v1/marketplace/capsules/" + capsuleId(entry), readerToken));
        assertThat(whole.get("manifest").get("description").asText()).isEqualTo(description);
    }

    @Test
    void shouldAllowOnlyTheWorkflowsStepsOverHttpAndArchiveEachOutcome() throws Exception {
        String id = capsuleId(ENTRIES.get(0));

        assertRefused(review(reviewerToken, id, "approve", null), 409, "conflict");
        assertThat(review(reviewerToken, id, "start_review", null).statusCode()).isEqualTo(200);
        assertRefused(review(selfReviewerToken, id, "approve", null), 403, "forbidden");
        // the reviewer is the token's subject: a body naming another is refused, not obeyed
        HttpResponse<String> named = edge.post("/v1/marketplace/capsules/" + id + "/review", selfReviewerToken,
                EdgeFixture.json(Map.of("decision", "approve", "reviewer", "someone-else")));
        assertThat(named.statusCode()).as(named.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(named).get("details").get("field").asText()).isEqualTo("reviewer");
        assertRefused(review(reviewerToken, id, "reject", null), 400, "invalid");
        HttpResponse<String> longNotes = review(reviewerToken, id, "reject",
                "n".repeat(MarketplaceLimits.MAX_NOTES_CHARS + 1));
        assertThat(longNotes.statusCode()).as(longNotes.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(longNotes).get("details").get("field").asText()).isEqualTo("notes");
        HttpResponse<String> withoutCapability = review(readerToken, id, "approve", null);
        assertThat(withoutCapability.statusCode()).as(withoutCapability.body()).isEqualTo(403);
        assertThat(withoutCapability.body()).contains(Capability.MARKETPLACE_REVIEW.claim());
        // a decision names the version it decides
        assertRefused(review(reviewerToken, id, "approve", "checked the package"), 400, "invalid");
        HttpResponse<String> approved = review(reviewerToken, id, "approve", "checked the package",
                ENTRIES.get(0).manifest().version());
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(approved).get("status").asText()).isEqualTo("approved");
        // the reviewer is the token's, whatever the body says
        assertThat(EdgeFixture.json(approved).get("actor").asText()).isEqualTo("reviewer");
        HttpResponse<String> revoked = edge.post("/v1/marketplace/capsules/" + id + "/revoke", reviewerToken,
                EdgeFixture.json(Map.of("notes", "maintainer unreachable")));
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        assertRefused(edge.post("/v1/marketplace/capsules/" + id + "/revoke", reviewerToken, ""), 409, "conflict");
        assertRefused(review(reviewerToken, RUN + "no-such-capsule", "start_review", null), 404, "not_found");

        JsonNode capsule = EdgeFixture.json(edge.get("/v1/marketplace/capsules/" + id, readerToken));
        assertThat(capsule.get("status").asText()).isEqualTo("revoked");
        assertThat(capsule.get("history").findValuesAsText("action"))
                .containsExactly("submitted", "review_started", "approved", "revoked");
        // the people behind it are its publisher's to see, and the reviewers': another tenant sees no names
        assertThat(capsule.get("submitted_by").isNull()).isTrue();
        assertThat(capsule.get("history").findValues("actor")).allSatisfy(actor -> assertThat(actor.isNull()).isTrue());
        JsonNode ofPublisher = EdgeFixture.json(edge.get("/v1/marketplace/capsules/" + id, publisherToken));
        assertThat(ofPublisher.get("submitted_by").isNull()).isFalse();
        assertThat(ofPublisher.get("history").findValuesAsText("actor")).contains("reviewer");

        // one row per outcome, in the order applied (one capsule, one partition): 4 transitions and 5 refusals
        List<String> rows = Await.value("the capsule's audit in PostgreSQL", EdgeFixture.AWAIT_TIMEOUT,
                () -> archivedOutcomes(id), r -> r.size() >= 9);
        assertThat(rows).containsExactly("submitted:submitted", "review_refused:conflict", "review_started:in_review",
                "review_refused:forbidden", "review_refused:invalid", "review_refused:invalid", "approved:approved",
                "revoked:revoked", "review_refused:conflict");

        // the same rows over HTTP to a reviewer, oldest first, and the same again three at a time
        String route = "/v1/marketplace/capsules/" + id + "/history";
        JsonNode history = EdgeFixture.json(edge.get(route, reviewerToken));
        assertThat(history.get("capsule_id").asText()).isEqualTo(id);
        assertThat(history.get("next_cursor").isNull()).isTrue();
        assertThat(outcomes(history.get("history"))).containsExactlyElementsOf(rows);
        // anyone else sees every transition, and only the refusals of its own tenant; the names are its own people's
        JsonNode ofReader = EdgeFixture.json(edge.get(route, readerToken));
        assertThat(outcomes(ofReader.get("history"))).containsExactly(
                "submitted:submitted", "review_started:in_review", "approved:approved", "revoked:revoked");
        assertThat(ofReader.get("history").findValues("actor")).allSatisfy(actor -> assertThat(actor.isNull()).isTrue());
        JsonNode ofPublisherHistory = EdgeFixture.json(edge.get(route, publisherToken));
        assertThat(ofPublisherHistory.get("history").findValuesAsText("actor")).contains("reviewer");
        List<String> publishers = outcomes(ofPublisherHistory.get("history"));
        assertThat(publishers).containsExactly("submitted:submitted", "review_started:in_review",
                "review_refused:forbidden", "approved:approved", "revoked:revoked");
        // page by page, the same rows as whole
        assertThat(pagedOutcomes(route, reviewerToken)).containsExactlyElementsOf(rows);
        assertThat(pagedOutcomes(route, publisherToken)).containsExactlyElementsOf(publishers);
    }

    /** Every row of the history {@code route} shows {@code token}, read three at a time. */
    private static List<String> pagedOutcomes(String route, String token) throws Exception {
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = EdgeFixture.json(edge.get(route + "?limit=3" + (cursor == null ? "" : "&cursor=" + cursor),
                    token));
            assertThat(page.get("history").size()).isBetween(1, 3);
            paged.addAll(outcomes(page.get("history")));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        return paged;
    }

    private static List<String> outcomes(JsonNode rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.get("action").asText() + ":"
                + (r.hasNonNull("to_status") ? r.get("to_status").asText() : r.get("rejection_kind").asText())));
        return out;
    }

    @Test
    void shouldStreamACatalogChange() {
        String id = capsuleId(ENTRIES.get(1));
        try (SseClient stream = SseClient.open(URI.create("http://127.0.0.1:" + edge.port() + "/v1/marketplace/stream"),
                Map.of("Authorization", "Bearer " + readerToken))) {
            assertThat(stream.status()).as(stream.errorBody()).isEqualTo(200);
            stream.awaitEvent("ready", EdgeFixture.AWAIT_TIMEOUT);
            assertThat(review(reviewerToken, id, "start_review", null).statusCode()).isEqualTo(200);

            Await.until("the change of " + id + " on the stream", EdgeFixture.AWAIT_TIMEOUT,
                    () -> stream.events().stream().anyMatch(e -> e.name().equals(MarketplaceHandlers.CAPSULE_EVENT)
                            && e.data().contains(id) && e.data().contains("\"in_review\"")));
        }
    }

    @Test
    void shouldRefuseSubmissionsThatAreNotThePublishersOwn() throws Exception {
        McpRegistry.Entry entry = ENTRIES.get(2);
        ObjectNode tampered = entry.manifest().toJson().put("description", "now does something else");

        HttpResponse<String> forged = edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(Map.of(
                "capsule_id", capsuleId(entry), "manifest", tampered, "attestation", attestationJson(sign(entry)))));
        assertRefused(forged, 422, "bad_signature");
        assertRefused(submit(publisherToken, capsuleId(entry), entry.manifest(), sign(entry)), 409, "replayed_version");
        // another tenant may not publish as this one, even with the publisher's own signature
        HttpResponse<String> asAnother = edge.post("/v1/marketplace/capsules", readerToken, EdgeFixture.json(Map.of(
                "capsule_id", capsuleId(entry), "publisher", publisher, "manifest", entry.manifest().toJson(),
                "attestation", attestationJson(sign(entry)))));
        assertThat(asAnother.statusCode()).as(asAnother.body()).isEqualTo(403);
        assertThat(edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(Map.of(
                "capsule_id", capsuleId(entry), "manifest", Map.of("name", "no version")))).statusCode()).isEqualTo(400);
        // a manifest no catalog entry can hold is refused before it is sent, as the app would refuse it
        ObjectNode huge = entry.manifest().toJson().put("version", "huge")
                .put("description", "x".repeat(MarketplaceLimits.MAX_ENTRY_BYTES));
        assertRefused(edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(Map.of(
                "capsule_id", capsuleId(entry), "manifest", huge, "attestation", attestationJson(sign(entry))))),
                413, "too_large");
        // names longer than the app accepts, refused with the field
        HttpResponse<String> longId = edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(Map.of(
                "capsule_id", "c".repeat(MarketplaceLimits.MAX_NAME_CHARS + 1), "manifest", entry.manifest().toJson(),
                "attestation", attestationJson(sign(entry)))));
        assertThat(longId.statusCode()).as(longId.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(longId).get("details").get("field").asText()).isEqualTo("capsule_id");
        // an id its routes could never reach (one path segment), and a version no reviewer could name
        HttpResponse<String> slashed = edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(Map.of(
                "capsule_id", "acme/tool", "manifest", entry.manifest().toJson(),
                "attestation", attestationJson(sign(entry)))));
        assertThat(slashed.statusCode()).as(slashed.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(slashed).get("details").get("field").asText()).isEqualTo("capsule_id");
        HttpResponse<String> blankVersion = edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(
                Map.of("capsule_id", capsuleId(entry), "manifest", entry.manifest().toJson().put("version", ""),
                        "attestation", attestationJson(sign(entry)))));
        assertThat(blankVersion.statusCode()).as(blankVersion.body()).isEqualTo(400);
        assertThat(EdgeFixture.json(blankVersion).get("message").asText()).contains("version must not be blank");
        Map<String, Object> longKeyId = new HashMap<>(attestationJson(sign(entry)));
        longKeyId.put("key_id", "k".repeat(MarketplaceLimits.MAX_NAME_CHARS + 1));
        HttpResponse<String> refusedKey = edge.post("/v1/marketplace/capsules", publisherToken, EdgeFixture.json(Map.of(
                "capsule_id", capsuleId(entry), "manifest", entry.manifest().toJson(), "attestation", longKeyId)));
        assertThat(refusedKey.statusCode()).as(refusedKey.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(refusedKey).get("details").get("field").asText()).isEqualTo("attestation.key_id");
    }

    private static void assertRefused(HttpResponse<String> response, int status, String kind) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = EdgeFixture.json(response);
        assertThat(error.get("details").get("kind").asText()).isEqualTo(kind);
        assertThat(error.get("message").asText()).isNotBlank();
    }

    /** action:to_status of a transition, action:rejection_kind of a refusal, in the order they happened. */
    private static List<String> archivedOutcomes(String capsuleId) {
        String schema = edge.config().settings().string("archive.postgres.schema");
        try (PostgresPool pool = new PostgresPool(edge.config().jdbcUrl(), edge.config().postgresUser(),
                edge.config().postgresPassword(), 1);
             Connection connection = pool.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT action, to_status, rejection_kind FROM "
                     + schema + ".marketplace_audit WHERE capsule_id = ? ORDER BY kafka_offset")) {
            query.setString(1, capsuleId);
            List<String> rows = new ArrayList<>();
            try (ResultSet r = query.executeQuery()) {
                while (r.next()) {
                    rows.add(r.getString(1) + ":" + (r.getString(2) != null ? r.getString(2) : r.getString(3)));
                }
            }
            return rows;
        } catch (java.sql.SQLException e) {
            // the archive's table comes with its first write
            return List.of();
        }
    }

    private static HttpResponse<String> review(String token, String capsuleId, String decision, String notes) {
        return review(token, capsuleId, decision, notes, null);
    }

    private static HttpResponse<String> review(String token, String capsuleId, String decision, String notes,
                                               String expectedVersion) {
        Map<String, Object> body = new HashMap<>();
        body.put("decision", decision);
        if (notes != null) {
            body.put("notes", notes);
        }
        if (expectedVersion != null) {
            body.put("expected_version", expectedVersion);
        }
        return edge.post("/v1/marketplace/capsules/" + capsuleId + "/review", token, EdgeFixture.json(body));
    }

    private static HttpResponse<String> submit(String token, String capsuleId, CapsuleManifest manifest,
                                               Attestation attestation) {
        return edge.post("/v1/marketplace/capsules", token, EdgeFixture.json(Map.of("capsule_id", capsuleId,
                "manifest", manifest.toJson(), "attestation", attestationJson(attestation))));
    }

    private static Map<String, String> attestationJson(Attestation a) {
        return Map.of("key_id", a.keyId(), "algorithm", a.algorithm(), "signature", a.signature());
    }

    private static Attestation sign(McpRegistry.Entry entry) {
        return Attestation.sign(capsuleId(entry), publisher, entry.manifest(), KEY_ID, publisherKey.getPrivate());
    }

    private static String capsuleId(McpRegistry.Entry entry) {
        return RUN + entry.capsuleId();
    }
}
