package io.soma.streams.edge.marketplace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.soma.streams.avro.CapsuleAttestation;
import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleFinding;
import io.soma.streams.avro.CapsuleReviewAction;
import io.soma.streams.avro.CapsuleReviewCommand;
import io.soma.streams.avro.CapsuleReviewEvent;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.edge.auth.AuthHandler;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.edge.auth.Principal;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.http.JsonBody;
import io.soma.streams.edge.http.QueryParams;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.edge.query.StoreLookups;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.edge.sse.SseSource;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.schemas.GroupedKey;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.MarketplaceHistoryQuery;
import io.soma.streams.stores.query.LocalStores;
import io.soma.streams.topologies.marketplace.AttestationVerifier;
import io.soma.streams.topologies.marketplace.CapsuleEnvelope;
import io.soma.streams.topologies.marketplace.CapsuleManifest;
import io.soma.streams.topologies.marketplace.MarketplaceApp;
import io.soma.streams.topologies.marketplace.MarketplaceAvro;
import io.soma.streams.topologies.marketplace.ReviewWorkflow;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static io.soma.streams.edge.http.JsonBody.withinLimit;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_ENTRY_BYTES;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_NAME_CHARS;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_NOTES_CHARS;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_SIGNATURE_CHARS;

/**
 * The marketplace routes (docs/marketplace.md#the-api). Submissions and review commands are requests over Kafka,
 * answered by the marketplace app's audit record with the same id, so the caller learns the outcome (or the refusal
 * and its reason) in the same request. The catalog is read from the app's store by id and from the edge's own copy of
 * the compacted catalog for lists ({@link CatalogView}); its changes stream as server-sent events. The catalog is
 * every tenant's, but the people behind a capsule (who submitted it, who acted on it) are shown only to its publisher,
 * to reviewers and to platform operators ({@link #seesPeople}); another tenant sees their tenants.
 */
public final class MarketplaceHandlers {
    /** The SSE event name of a catalog change. */
    public static final String CAPSULE_EVENT = "capsule";
    private static final String ALL = "all";
    private static final int DEFAULT_PAGE_SIZE = 20;
    private static final int MAX_PAGE_SIZE = 100;
    private static final Map<String, CapsuleReviewAction> DECISIONS = Map.of(
            "start_review", CapsuleReviewAction.START_REVIEW,
            "approve", CapsuleReviewAction.APPROVE,
            "reject", CapsuleReviewAction.REJECT);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Producer<String, SpecificRecord> producer;
    private final ReplyWaiter<MarketplaceAudit> outcomes;
    private final StoreLookups stores;
    private final CatalogView catalog;
    private final SseHub changes;
    private final TokenSummaries tokenSummaries;
    private final MarketplaceHistoryQuery history;
    private final Duration timeout;

    MarketplaceHandlers(Producer<String, SpecificRecord> producer, ReplyWaiter<MarketplaceAudit> outcomes,
                        StoreLookups stores, CatalogView catalog, SseHub changes, TokenSummaries tokenSummaries,
                        MarketplaceHistoryQuery history, Duration timeout) {
        this.producer = producer;
        this.history = history;
        this.tokenSummaries = tokenSummaries;
        this.outcomes = outcomes;
        this.stores = stores;
        this.catalog = catalog;
        this.changes = changes;
        this.timeout = timeout;
    }

    /**
     * {@code POST /v1/marketplace/capsules}: {@code {capsule_id, publisher?, manifest, attestation}}. The publisher is
     * the caller's tenant (a platform operator may name another); 202 once the app has attested the version and put it
     * in review, or the attestation's refusal.
     */
    public void submit(Context ctx) {
        Principal caller = AuthHandler.principal(ctx);
        JsonNode body = JsonBody.object(ctx);
        String publisher = withinLimit(JsonBody.text(body, "publisher"), "publisher", MAX_NAME_CHARS);
        if (publisher == null) {
            publisher = TenantGuard.tenant(ctx);
        } else {
            TenantGuard.requireActsOn(caller, publisher);
        }
        String capsuleId = withinLimit(JsonBody.required(body, "capsule_id"), "capsule_id", MAX_NAME_CHARS);
        if (capsuleId.indexOf('/') >= 0) {
            // the capsule's routes take its id as one path segment, and the server refuses an encoded '/' in one
            throw ApiException.unprocessable("capsule_id must not contain '/': its routes take it as one path segment",
                    Map.of("field", "capsule_id"));
        }
        CapsuleManifest manifest;
        try {
            manifest = CapsuleManifest.fromJson(body.get("manifest"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        withinLimit(manifest.version(), "manifest.version", MAX_NAME_CHARS);
        requireFitsAnEntry(capsuleId, publisher, manifest);
        JsonNode attestation = body.path("attestation");
        CapsuleSubmission submission = CapsuleSubmission.newBuilder()
                .setSubmissionId(UUID.randomUUID().toString())
                .setCapsuleId(capsuleId)
                .setPublisher(publisher)
                .setSubmittedBy(caller.subject())
                .setManifest(MarketplaceAvro.manifest(manifest))
                .setAttestation(CapsuleAttestation.newBuilder()
                        .setKeyId(withinLimit(JsonBody.required(attestation, "key_id"), "attestation.key_id",
                                MAX_NAME_CHARS))
                        .setAlgorithm(withinLimit(JsonBody.required(attestation, "algorithm"), "attestation.algorithm",
                                MAX_NAME_CHARS))
                        .setSignature(withinLimit(JsonBody.required(attestation, "signature"), "attestation.signature",
                                MAX_SIGNATURE_CHARS))
                        .build())
                .setSubmittedAt(Instant.now())
                .build();
        MarketplaceAudit outcome = publishAndAwait(Topics.MARKETPLACE_SUBMISSIONS.name(), capsuleId, submission,
                submission.getSubmissionId());
        ctx.status(202).json(outcomeView(outcome));
    }

    /**
     * A manifest larger than a catalog entry may be is refused here, as the app would (413, {@code too_large}), before
     * it is sent: the app's copy of a refused submission to {@code soma.dlq} must stay under the brokers' record limit.
     */
    private static void requireFitsAnEntry(String capsuleId, String publisher, CapsuleManifest manifest) {
        int bytes = CapsuleEnvelope.signedBytes(capsuleId, publisher, manifest).length;
        if (bytes > MAX_ENTRY_BYTES) {
            throw new ApiException(413, ErrorResponses.errorName(413), "the manifest is " + bytes
                    + " bytes of canonical JSON; a capsule's catalog entry holds at most " + MAX_ENTRY_BYTES,
                    Map.of("capsule_id", capsuleId, "kind", AttestationVerifier.Reason.TOO_LARGE.wire()));
        }
    }

    /**
     * {@code POST /v1/marketplace/capsules/{id}/review}: {@code {decision, notes?, expected_version?}};
     * {@code expected_version} is required to approve or reject (the app refuses the command without it).
     */
    public void review(Context ctx) {
        JsonNode body = JsonBody.object(ctx);
        String decision = JsonBody.required(body, "decision");
        CapsuleReviewAction action = DECISIONS.get(decision);
        if (action == null) {
            throw ApiException.badRequest("decision must be one of " + DECISIONS.keySet().stream().sorted().toList()
                    + ", got '" + decision + "'; revoking has its own route");
        }
        command(ctx, action, body);
    }

    /** {@code POST /v1/marketplace/capsules/{id}/revoke}: {@code {notes?, expected_version?}}, body optional. */
    public void revoke(Context ctx) {
        command(ctx, CapsuleReviewAction.REVOKE, JsonBody.object(ctx));
    }

    /** The reviewer is the token's subject and tenant, never the body's: the app refuses a publisher's own approval. */
    private void command(Context ctx, CapsuleReviewAction action, JsonNode body) {
        Principal caller = AuthHandler.principal(ctx);
        String capsuleId = ctx.pathParam("id");
        CapsuleReviewCommand command = CapsuleReviewCommand.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setCapsuleId(capsuleId)
                .setAction(action)
                .setReviewer(caller.subject())
                .setReviewerTenant(caller.tenant())
                .setNotes(withinLimit(JsonBody.text(body, "notes"), "notes", MAX_NOTES_CHARS))
                .setExpectedVersion(withinLimit(JsonBody.text(body, "expected_version"), "expected_version",
                        MAX_NAME_CHARS))
                .setRequestedAt(Instant.now())
                .build();
        MarketplaceAudit outcome = publishAndAwait(Topics.MARKETPLACE_REVIEWS.name(), capsuleId, command,
                command.getCommandId());
        ctx.json(outcomeView(outcome));
    }

    /** {@code GET /v1/marketplace/capsules?status=&publisher=&q=&page=&size=}: the whole catalog, filtered, paged. */
    public void list(Context ctx) {
        CapsuleStatus status = status(ctx.queryParam("status"));
        int page = positive(ctx, "page", 1, Integer.MAX_VALUE);
        int size = positive(ctx, "size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
        CatalogView.Page found = catalog.list(new CatalogView.Filter(status, blankToNull(ctx.queryParam("publisher")),
                blankToNull(ctx.queryParam("q"))), page, size);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", found.entries().stream().map(CapsuleSummary::view).toList());
        out.put("page", page);
        out.put("size", size);
        out.put("total", found.total());
        ctx.json(out);
    }

    /**
     * {@code GET /v1/marketplace/capsules/{id}}: the entry with its findings and review history, wherever it lives,
     * and the caller's tenant's token summary of it ({@code token_summary}, null when the tenant has not used it or
     * the process runs no forecasts).
     */
    public void capsule(Context ctx) {
        String id = ctx.pathParam("id");
        // the catalog is every tenant's: the lookup names no tenant
        ObjectNode entry = (ObjectNode) stores.require(MarketplaceApp.CATALOG_STORE, id, null, "no capsule " + id)
                .deepCopy();
        // an entry from before the versions had a store of their own still lists them itself
        ObjectNode versions = entry.withObject("/attested_versions");
        stores.groupOrEmpty(MarketplaceApp.ATTESTED_VERSIONS_STORE, id, null)
                .forEach(v -> versions.set(v.get("version").asText(), v.get("digest")));
        Principal caller = AuthHandler.principal(ctx);
        if (!seesPeople(caller, entry.path("publisher").asText(null))) {
            entry.putNull("submitted_by");
            entry.withArray("/history").forEach(event -> ((ObjectNode) event).putNull("actor"));
        }
        entry.set("token_summary", JSON.valueToTree(tokenSummaries.of(caller.tenant(), id).orElse(null)));
        ctx.json(entry);
    }

    /**
     * {@code GET /v1/marketplace/capsules/{id}/history?from=&to=&limit=&cursor=}: every archived transition of the
     * capsule, oldest first, page by page (the entry itself carries only its latest), with the refused submissions
     * and reviews of the caller's tenant; reviewers and platform operators see every tenant's refusals.
     */
    public void history(Context ctx) {
        String id = ctx.pathParam("id");
        String cursor = ctx.queryParam("cursor");
        Principal caller = AuthHandler.principal(ctx);
        boolean everyRefusal = caller.has(Capability.MARKETPLACE_REVIEW) || caller.has(Capability.PLATFORM_OPERATOR);
        MarketplaceHistoryQuery.Page page = QueryParams.readArchive(ctx, range -> history.page(id, range.from(),
                range.to(), range.limit(), cursor, caller.tenant(), everyRefusal));
        // names only a tenant's own people unless the caller may see the capsule's: for a capsule refused before it
        // was ever listed, or while the catalog cannot say whose it is, too
        boolean allPeople = everyRefusal || stores.findNow(MarketplaceApp.CATALOG_STORE, id, null)
                .map(entry -> seesPeople(caller, entry.path("publisher").asText(null))).orElse(false);
        ctx.json(allPeople ? page : page.namingOnlyPeopleOf(caller.tenant()));
    }

    /** Whether the caller sees who submitted and acted on a capsule of {@code publisher}, not only their tenants. */
    private static boolean seesPeople(Principal caller, String publisher) {
        return caller.has(Capability.MARKETPLACE_REVIEW) || publisher != null && TenantGuard.owns(caller, publisher);
    }

    /** A tenant's token usage of a capsule, as the forecast slice keeps it. */
    @FunctionalInterface
    public interface TokenSummaries {
        TokenSummaries NONE = (tenant, capsule) -> Optional.empty();

        Optional<Map<String, Object>> of(String tenant, String capsule);
    }

    /** {@code GET /v1/marketplace/stream}: every catalog change as a {@value #CAPSULE_EVENT} event. */
    public void openStream(Context ctx) throws Exception {
        // the catalog is shown to all; the stream counts against the caller's tenant
        changes.open(ctx, ALL, null, AuthHandler.streamCaller(ctx));
    }

    private MarketplaceAudit publishAndAwait(String topic, String capsuleId, SpecificRecord request, String requestId) {
        Map<String, Object> ids = Map.of("request_id", requestId, "capsule_id", capsuleId);
        MarketplaceAudit outcome = outcomes.request(producer, new ProducerRecord<>(topic, capsuleId, request), requestId,
                ids, timeout, () -> new ApiException(504, "timeout", "no answer to request " + requestId + " within "
                        + timeout.toMillis() + " ms; it will still be applied once: check the capsule", ids));
        if (outcome.getRejection() != null) {
            int status = refusalStatus(outcome.getRejectionKind());
            Map<String, Object> details = new LinkedHashMap<>(ids);
            details.put("kind", outcome.getRejectionKind());
            throw new ApiException(status, ErrorResponses.errorName(status), outcome.getRejection(), details);
        }
        return outcome;
    }

    /**
     * Review refusals as the workflow names them; a refused submission by its attestation reason: what the sender
     * must change (400 unreadable, 422 a signature or key that does not hold, 409 a version attested before or one
     * more than the capsule may hold, 403 a capsule id another publisher holds).
     */
    static int refusalStatus(String kind) {
        String k = kind == null ? "" : kind;
        if (k.equals(ReviewWorkflow.RefusalKind.CONFLICT.wire())
                || k.equals(AttestationVerifier.Reason.MANIFEST_CHANGED.wire())
                || k.equals(AttestationVerifier.Reason.REPLAYED_VERSION.wire())
                || k.equals(AttestationVerifier.Reason.TOO_MANY_VERSIONS.wire())) {
            return 409;
        }
        if (k.equals(AttestationVerifier.Reason.TOO_LARGE.wire())) {
            return 413;
        }
        if (k.equals(ReviewWorkflow.RefusalKind.FORBIDDEN.wire())
                || k.equals(AttestationVerifier.Reason.OTHER_PUBLISHER.wire())) {
            return 403;
        }
        if (k.equals(ReviewWorkflow.RefusalKind.NOT_FOUND.wire())) {
            return 404;
        }
        if (k.equals(ReviewWorkflow.RefusalKind.INVALID.wire()) || k.equals(AttestationVerifier.Reason.MALFORMED.wire())) {
            return 400;
        }
        return 422;
    }

    private static Map<String, Object> outcomeView(MarketplaceAudit a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("capsule_id", a.getCapsuleId());
        out.put("request_id", a.getRequestId());
        out.put("event_id", a.getEventId());
        out.put("action", a.getAction());
        out.put("from_status", wire(a.getFromStatus()));
        out.put("status", wire(a.getToStatus()));
        out.put("version", a.getVersion());
        out.put("actor", a.getActor());
        out.put("actor_tenant", a.getActorTenant());
        out.put("at", a.getTimestamp().toString());
        return out;
    }

    /** One attested version of a capsule, as its store holds it: the version and its digest. */
    static Map<String, Object> attestedVersion(LocalStores.GroupEntry<String> stored) {
        return Map.of("version", GroupedKey.parts(stored.key()).get(1), "digest", stored.value());
    }

    /** The whole entry, as {@code GET /v1/marketplace/capsules/{id}} answers it (attested versions: see {@link #capsule}). */
    static Map<String, Object> entry(CapsuleCatalogEntry e) {
        Map<String, Object> out = CapsuleSummary.of(e).view();
        out.put("description", e.getManifest().getDescription());
        out.put("submitted_by", e.getSubmittedBy());
        out.put("manifest", MarketplaceAvro.manifest(e.getManifest()).toJson());
        out.put("manifest_digest", e.getManifestDigest());
        out.put("key_id", e.getKeyId());
        out.put("algorithm", e.getAlgorithm());
        out.put("attested_versions", e.getAttestedVersions());
        out.put("findings", e.getFindings().stream().map(MarketplaceHandlers::finding).toList());
        out.put("history", e.getHistory().stream().map(MarketplaceHandlers::event).toList());
        out.put("last_event_id", e.getLastEventId());
        return out;
    }

    private static Map<String, Object> finding(CapsuleFinding f) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("check", f.getCheck());
        out.put("severity", f.getSeverity());
        out.put("subject", f.getSubject());
        out.put("note", f.getNote());
        return out;
    }

    private static Map<String, Object> event(CapsuleReviewEvent h) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("action", h.getAction());
        out.put("actor", h.getActor());
        out.put("from_status", wire(h.getFromStatus()));
        out.put("to_status", wire(h.getToStatus()));
        out.put("version", h.getVersion());
        out.put("notes", h.getNotes());
        out.put("at", h.getAt().toString());
        return out;
    }

    static String wire(CapsuleStatus status) {
        return status == null ? null : status.name().toLowerCase(Locale.ROOT);
    }

    private static CapsuleStatus status(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        List<String> known = Arrays.stream(CapsuleStatus.values()).filter(s -> s != CapsuleStatus.UNKNOWN)
                .map(MarketplaceHandlers::wire).toList();
        if (!known.contains(value)) {
            throw ApiException.badRequest("status must be one of " + known + ", got '" + value + "'");
        }
        return CapsuleStatus.valueOf(value.toUpperCase(Locale.ROOT));
    }

    private static int positive(Context ctx, String name, int absent, int max) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest(name + " must be a whole number from 1 to " + max + ", got '" + value + "'");
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** {@code marketplace.catalog} on one channel, each change as its entry's summary. */
    static SseSource catalogSource(Deserializer<CapsuleCatalogEntry> entries) {
        return new SseSource() {
            @Override
            public List<String> topics() {
                return List.of(Topics.MARKETPLACE_CATALOG.name());
            }

            @Override
            public String channelOf(ConsumerRecord<byte[], byte[]> record) {
                return ALL;
            }

            @Override
            public SseMessage render(ConsumerRecord<byte[], byte[]> record) {
                CapsuleCatalogEntry entry = entries.deserialize(record.topic(), record.headers(), record.value());
                return entry == null ? null : new SseMessage(CAPSULE_EVENT, CapsuleSummary.of(entry).view());
            }
        };
    }
}
