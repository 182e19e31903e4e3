package io.soma.streams.topologies.marketplace;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleReviewAction;
import io.soma.streams.avro.CapsuleReviewCommand;
import io.soma.streams.avro.CapsuleReviewEvent;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.schemas.GroupedKey;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import io.soma.streams.schemas.dlq.DeadLetterLimit;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.topologies.runtime.AppSerdes;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static io.soma.streams.schemas.Texts.longerThan;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_ENTRY_BYTES;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_NAME_CHARS;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_SIGNATURE_CHARS;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.message;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.shown;

/**
 * The marketplace app: {@code marketplace.submissions} and {@code marketplace.reviews}, both keyed by capsule id, go
 * through one processor and its two stores, so a capsule's submissions and review commands apply in order, one at a
 * time.
 * <ul>
 *   <li>A submission is checked ({@link AttestationVerifier}); an authentic new version gets its compliance findings
 *   ({@link ComplianceChecks}) and re-enters review; a refused one goes to {@code soma.dlq} with the reason.</li>
 *   <li>A review command moves the capsule through the {@link ReviewWorkflow}, or is refused with the reason.</li>
 *   <li>Each submission and command gets exactly one {@code marketplace.audit} record (exactly-once v2); each
 *   transition also writes the entry to {@code marketplace.catalog} and the {@value #CATALOG_STORE} store the edge
 *   reads by capsule id.</li>
 *   <li>The entry stays a bounded record: it carries the last {@value #RECENT_HISTORY} transitions (the audit has them
 *   all), the attested versions live in the {@value #ATTESTED_VERSIONS_STORE} store, a key each, and a version that
 *   would make the entry larger than {@link MarketplaceLimits#MAX_ENTRY_BYTES} bytes is refused ({@code too_large}), as
 *   is one beyond the capsule's {@link Config#maxVersions} ({@code too_many_versions}). A record over
 *   the brokers' limit could never be written, and its retries would stall the app for every capsule.</li>
 * </ul>
 * The two source topics must keep the same partition count: a capsule's records must meet in one task.
 */
public final class MarketplaceApp {
    public static final String APPLICATION_ID = "soma-marketplace";
    /** Capsule id → catalog entry, for the edge's interactive queries. */
    public static final String CATALOG_STORE = "marketplace-catalog";
    /**
     * {@link GroupedKey} (capsule id, version) → the digest that version was attested with: every version ever
     * accepted, one small record each, so a submission writes one more key instead of a growing list.
     */
    public static final String ATTESTED_VERSIONS_STORE = "marketplace-attested-versions";
    /** How many of its latest transitions a catalog entry carries. */
    public static final int RECENT_HISTORY = 20;
    private static final String SUBMISSIONS_SOURCE = "submissions";
    private static final String REVIEWS_SOURCE = "reviews";
    private static final String PROCESSOR = "catalog-workflow";
    private static final String CATALOG_SINK = "catalog-sink";
    private static final String AUDIT_SINK = "audit-sink";
    private static final String DEAD_LETTER_SINK = "dead-letter-sink";

    /** How many versions one capsule id may hold unless configured otherwise ({@code marketplace.capsule.max.versions}). */
    public static final int DEFAULT_MAX_VERSIONS = 1000;

    /**
     * @param verifier    checks submissions against the keys trusted to attest capsules; one for every task (it holds
     *                    no state), built where the keys are read, so that a bad key list fails the start, not a
     *                    stream thread
     * @param maxVersions the most attested versions one capsule id may hold: each is kept for good (replays are
     *                    checked against it) and {@code GET /v1/marketplace/capsules/{id}} lists them all
     */
    public record Config(AttestationVerifier verifier, ComplianceChecks.Config compliance, MarketplaceMetrics metrics,
                         int maxVersions) {
        public Config {
            if (maxVersions < 1) {
                throw new IllegalArgumentException("marketplace.capsule.max.versions must be at least 1, got "
                        + maxVersions);
            }
        }

        /** @throws IllegalArgumentException when a publisher has two keys of one id */
        public Config(Collection<PublisherKey> publisherKeys, ComplianceChecks.Config compliance,
                      MarketplaceMetrics metrics) {
            this(new AttestationVerifier(publisherKeys), compliance, metrics, DEFAULT_MAX_VERSIONS);
        }
    }

    private MarketplaceApp() {
    }

    public static Topology build(Config config, AppSerdes serdes) {
        Topology topology = new Topology();
        // submissions are read as bytes, so a refused one reaches the dead-letter topic exactly as it was sent
        topology.addSource(SUBMISSIONS_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                Topics.MARKETPLACE_SUBMISSIONS.name());
        topology.addSource(REVIEWS_SOURCE, Serdes.String().deserializer(),
                serdes.value(Topics.MARKETPLACE_REVIEWS).deserializer(), Topics.MARKETPLACE_REVIEWS.name());
        topology.addProcessor(PROCESSOR, () -> new CatalogProcessor(config, serdes), SUBMISSIONS_SOURCE, REVIEWS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CATALOG_STORE),
                Serdes.String(), serdes.storeValue(CapsuleCatalogEntry.class)), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ATTESTED_VERSIONS_STORE),
                Serdes.String(), Serdes.String()), PROCESSOR);
        topology.addSink(CATALOG_SINK, Topics.MARKETPLACE_CATALOG.name(), Serdes.String().serializer(),
                serdes.value(Topics.MARKETPLACE_CATALOG).serializer(), PROCESSOR);
        topology.addSink(AUDIT_SINK, Topics.MARKETPLACE_AUDIT.name(), Serdes.String().serializer(),
                serdes.value(Topics.MARKETPLACE_AUDIT).serializer(), PROCESSOR);
        topology.addSink(DEAD_LETTER_SINK, Topics.DEAD_LETTER, Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), PROCESSOR);
        return topology;
    }

    /** Applies submissions (raw bytes) and review commands to the catalog, one capsule key at a time. */
    static final class CatalogProcessor implements Processor<String, Object, String, Object> {
        private final AttestationVerifier verifier;
        private final ComplianceChecks compliance;
        private final Deserializer<CapsuleSubmission> submissionReader;
        private final Serializer<CapsuleCatalogEntry> entryWriter;
        private final MarketplaceMetrics metrics;
        private final int maxVersions;
        private ProcessorContext<String, Object> context;
        private KeyValueStore<String, CapsuleCatalogEntry> catalog;
        private KeyValueStore<String, String> attestedVersions;

        CatalogProcessor(Config config, AppSerdes serdes) {
            this.verifier = config.verifier();
            this.compliance = new ComplianceChecks(config.compliance());
            this.submissionReader = serdes.value(Topics.MARKETPLACE_SUBMISSIONS).deserializer();
            this.entryWriter = serdes.storeValue(CapsuleCatalogEntry.class).serializer();
            this.metrics = config.metrics();
            this.maxVersions = config.maxVersions();
        }

        @Override
        public void init(ProcessorContext<String, Object> context) {
            this.context = context;
            this.catalog = context.getStateStore(CATALOG_STORE);
            this.attestedVersions = context.getStateStore(ATTESTED_VERSIONS_STORE);
        }

        @Override
        public void process(Record<String, Object> record) {
            if (record.value() instanceof CapsuleReviewCommand command) {
                review(record, command);
            } else if (record.value() instanceof byte[] raw) {
                submit(record, raw);
            } else {
                // a tombstone, which only a producer writing straight to Kafka can send: nothing to apply, no id to audit
                deadLetter(record, null, AttestationVerifier.Reason.MALFORMED,
                        "a record without a value is neither a submission nor a review command");
            }
        }

        private void submit(Record<String, Object> record, byte[] raw) {
            CapsuleSubmission submission;
            try {
                submission = submissionReader.deserialize(Topics.MARKETPLACE_SUBMISSIONS.name(), record.headers(), raw);
            } catch (RuntimeException e) {
                if (SchemaRegistryException.unavailableIn(e)) {
                    // not the submission's fault: the task fails and reads it again, instead of dead-lettering it
                    throw e;
                }
                deadLetter(record, raw, AttestationVerifier.Reason.MALFORMED,
                        "not a readable CapsuleSubmission: " + e.getMessage());
                return;
            }
            String capsuleId = submission.getCapsuleId();
            CapsuleManifest manifest = MarketplaceAvro.manifest(submission.getManifest());
            CapsuleCatalogEntry current = null;
            AttestationVerifier.Result result;
            if (!capsuleId.equals(record.key())) {
                // another key would put the capsule's state in another task than its next submission
                result = new AttestationVerifier.Refused(AttestationVerifier.Reason.MALFORMED,
                        "record key '" + shown(record.key()) + "' is not the capsule id '" + shown(capsuleId) + "'");
            } else if (!GroupedKey.isPart(capsuleId) || !GroupedKey.isPart(manifest.version())) {
                // NUL separates the parts of an attested version's key
                result = new AttestationVerifier.Refused(AttestationVerifier.Reason.MALFORMED,
                        "a capsule id or version must not contain NUL");
            } else if (Stream.of(capsuleId, submission.getPublisher(), submission.getSubmittedBy(), manifest.version(),
                            submission.getAttestation().getKeyId(), submission.getAttestation().getAlgorithm())
                    .anyMatch(name -> longerThan(name, MAX_NAME_CHARS))
                    || longerThan(submission.getAttestation().getSignature(), MAX_SIGNATURE_CHARS)) {
                result = new AttestationVerifier.Refused(AttestationVerifier.Reason.MALFORMED, "a capsule id, "
                        + "publisher, submitter, version, key id or algorithm is longer than " + MAX_NAME_CHARS
                        + " characters, or the signature longer than " + MAX_SIGNATURE_CHARS);
            } else {
                CapsuleCatalogEntry stored = catalog.get(capsuleId);
                current = stored;
                boolean othersCapsule = stored != null && !stored.getPublisher().equals(submission.getPublisher());
                // another publisher's versions are not this one's to replay or change: ownership decides, below
                result = verifier.verify(capsuleId, submission.getPublisher(), manifest,
                        MarketplaceAvro.attestation(submission.getAttestation()),
                        version -> othersCapsule ? null : attestedDigest(capsuleId, version, stored));
                if (result instanceof AttestationVerifier.Attested && othersCapsule) {
                    // a trusted key vouches for its publisher, not for a capsule id: the id is its first publisher's
                    result = new AttestationVerifier.Refused(AttestationVerifier.Reason.OTHER_PUBLISHER, "capsule '"
                            + shown(capsuleId) + "' is published by '" + shown(stored.getPublisher())
                            + "': another publisher's capsule takes an id of its own");
                } else if (result instanceof AttestationVerifier.Attested && stored != null
                        && versionsHeld(capsuleId, stored) >= maxVersions) {
                    result = new AttestationVerifier.Refused(AttestationVerifier.Reason.TOO_MANY_VERSIONS, "capsule '"
                            + shown(capsuleId) + "' holds " + maxVersions + " attested versions, the most one capsule "
                            + "may hold (marketplace.capsule.max.versions); publish this one under a new capsule id");
                }
            }
            Instant now = notBefore(current);
            MarketplaceAudit.Builder audit = audit(submission.getSubmissionId(), capsuleId, now)
                    .setActor(shown(submission.getSubmittedBy()))
                    .setActorTenant(shown(submission.getPublisher()))
                    .setVersion(shown(manifest.version()));
            if (result instanceof AttestationVerifier.Refused refused) {
                refuseSubmission(record, raw, audit, current, refused, now);
                return;
            }
            AttestationVerifier.Attested attested = (AttestationVerifier.Attested) result;
            ReviewWorkflow.Transition transition = ReviewWorkflow.submit(
                    current == null ? null : MarketplaceAvro.status(current.getStatus()));
            MarketplaceAudit transitionAudit = audit.setAction(transition.auditName())
                    .setFromStatus(MarketplaceAvro.status(transition.from()))
                    .setToStatus(MarketplaceAvro.status(transition.to()))
                    .build();
            CapsuleCatalogEntry entry = CapsuleCatalogEntry.newBuilder()
                    .setCapsuleId(capsuleId)
                    .setPublisher(submission.getPublisher())
                    .setSubmittedBy(submission.getSubmittedBy())
                    .setStatus(transitionAudit.getToStatus())
                    .setManifest(submission.getManifest())
                    .setManifestDigest(attested.digest())
                    .setKeyId(attested.keyId())
                    .setAlgorithm(attested.algorithm().bundleName())
                    .setFindings(MarketplaceAvro.findings(compliance.check(manifest)))
                    .setHistory(withEvent(current == null ? List.of() : current.getHistory(), transitionAudit))
                    .setUpdatedAt(now)
                    .setLastEventId(transitionAudit.getEventId())
                    .build();
            int entryBytes = entryWriter.serialize(Topics.MARKETPLACE_CATALOG.name(), entry).length;
            if (entryBytes > MAX_ENTRY_BYTES) {
                // the builder of the transition not taken, now the refusal's: same event id, no to_status
                refuseSubmission(record, raw, audit.setToStatus(null), current, new AttestationVerifier.Refused(
                        AttestationVerifier.Reason.TOO_LARGE, "with version " + manifest.version() + " the capsule's "
                        + "catalog entry would be " + entryBytes + " bytes, over the limit of " + MAX_ENTRY_BYTES
                        + " (manifest, findings and recent history included)"), now);
                return;
            }
            Map<String, String> unmovable = new HashMap<>();
            if (current != null) {
                // an entry written before the versions had a store of their own: move them there once (a version
                // holding NUL cannot be a key there; it stays in the entry, which attestedDigest also reads)
                current.getAttestedVersions().forEach((version, digest) -> {
                    if (!GroupedKey.isPart(version)) {
                        unmovable.put(version, digest);
                    } else {
                        attestedVersions.put(GroupedKey.of(capsuleId, version), digest);
                    }
                });
            }
            attestedVersions.put(GroupedKey.of(capsuleId, manifest.version()), attested.digest());
            save(CapsuleCatalogEntry.newBuilder(entry).setAttestedVersions(unmovable).build(), transitionAudit, now);
        }

        /** How many versions of the capsule were attested, counted up to {@code maxVersions}: no more is read. */
        private int versionsHeld(String capsuleId, CapsuleCatalogEntry current) {
            // a legacy entry's versions move to the store with the next version: none is in both
            int held = current.getAttestedVersions().size();
            try (KeyValueIterator<String, String> versions = attestedVersions.prefixScan(GroupedKey.prefix(capsuleId),
                    Serdes.String().serializer())) {
                for (; held < maxVersions && versions.hasNext(); held++) {
                    versions.next();
                }
            }
            return held;
        }

        /** The digest a version of the capsule was attested with, or null: its own store first, then a legacy entry. */
        private String attestedDigest(String capsuleId, String version, CapsuleCatalogEntry current) {
            String digest = attestedVersions.get(GroupedKey.of(capsuleId, version));
            return digest != null || current == null ? digest : current.getAttestedVersions().get(version);
        }

        private void review(Record<String, Object> record, CapsuleReviewCommand command) {
            boolean keyedByCapsule = command.getCapsuleId().equals(record.key());
            CapsuleCatalogEntry current = keyedByCapsule ? catalog.get(command.getCapsuleId()) : null;
            Instant now = notBefore(current);
            ReviewWorkflow.Outcome outcome = keyedByCapsule
                    ? ReviewWorkflow.review(current == null ? null : new ReviewWorkflow.Capsule(
                                    MarketplaceAvro.status(current.getStatus()), current.getPublisher(),
                                    current.getManifest().getVersion()),
                            new ReviewWorkflow.Review(action(command.getAction()), command.getReviewer(),
                                    command.getReviewerTenant(), command.getNotes(), command.getExpectedVersion()))
                    // another key would apply the command in another task than the capsule's, out of order
                    : new ReviewWorkflow.Refusal(ReviewWorkflow.RefusalKind.INVALID, "record key '"
                            + shown(record.key()) + "' is not the capsule id '" + shown(command.getCapsuleId()) + "'");
            MarketplaceAudit.Builder audit = audit(command.getCommandId(), command.getCapsuleId(), now)
                    .setActor(shown(command.getReviewer()))
                    .setActorTenant(shown(command.getReviewerTenant()))
                    .setNotes(ReviewWorkflow.auditedNotes(command.getNotes()))
                    .setVersion(shown(current == null ? command.getExpectedVersion() : current.getManifest().getVersion()))
                    .setFromStatus(current == null ? null : current.getStatus());
            if (outcome instanceof ReviewWorkflow.Refusal refusal) {
                metrics.reviewRefused(refusal.kind());
                MarketplaceAudit refused = audit.setAction("review_refused").setRejection(message(refusal.message()))
                        .setRejectionKind(refusal.kind().wire()).build();
                forwardAudit(refused.getCapsuleId(), refused, now);
                return;
            }
            ReviewWorkflow.Transition transition = (ReviewWorkflow.Transition) outcome;
            MarketplaceAudit transitionAudit = audit.setAction(transition.auditName())
                    .setToStatus(MarketplaceAvro.status(transition.to())).build();
            save(CapsuleCatalogEntry.newBuilder(current)
                    .setStatus(transitionAudit.getToStatus())
                    .setHistory(withEvent(current.getHistory(), transitionAudit))
                    .setUpdatedAt(now)
                    .setLastEventId(transitionAudit.getEventId())
                    .build(), transitionAudit, now);
        }

        /**
         * This instance's clock, but never before the entry's last change: the task may move to an instance whose
         * clock runs behind the one that wrote it, and a capsule's history is read in time order.
         */
        private Instant notBefore(CapsuleCatalogEntry current) {
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            return current != null && current.getUpdatedAt().isAfter(now) ? current.getUpdatedAt() : now;
        }

        private static ReviewWorkflow.Action action(CapsuleReviewAction action) {
            return action == CapsuleReviewAction.UNKNOWN ? null : ReviewWorkflow.Action.valueOf(action.name());
        }

        /** An audit record's start; ids past the limits are cut, so that a refusal's record can always be written. */
        private static MarketplaceAudit.Builder audit(String requestId, String capsuleId, Instant now) {
            return MarketplaceAudit.newBuilder()
                    .setEventId(UUID.randomUUID().toString())
                    .setRequestId(shown(requestId))
                    .setCapsuleId(shown(capsuleId))
                    .setTimestamp(now);
        }

        /** The entry's history with this transition: its last {@value #RECENT_HISTORY} transitions. */
        private static List<CapsuleReviewEvent> withEvent(List<CapsuleReviewEvent> history, MarketplaceAudit transition) {
            List<CapsuleReviewEvent> events = new ArrayList<>(
                    history.subList(Math.max(0, history.size() - (RECENT_HISTORY - 1)), history.size()));
            events.add(CapsuleReviewEvent.newBuilder()
                    .setAction(transition.getAction())
                    .setActor(transition.getActor())
                    .setFromStatus(transition.getFromStatus())
                    .setToStatus(transition.getToStatus())
                    .setVersion(transition.getVersion())
                    .setNotes(transition.getNotes())
                    .setAt(transition.getTimestamp())
                    .build());
            return events;
        }

        /** The store, the catalog topic and the one audit record of a transition, in the same transaction. */
        private void save(CapsuleCatalogEntry entry, MarketplaceAudit transition, Instant now) {
            metrics.transitioned(transition.getAction());
            catalog.put(entry.getCapsuleId(), entry);
            context.forward(new Record<>(entry.getCapsuleId(), (Object) entry, now.toEpochMilli()), CATALOG_SINK);
            forwardAudit(entry.getCapsuleId(), transition, now);
        }

        private void forwardAudit(String capsuleId, MarketplaceAudit audit, Instant now) {
            context.forward(new Record<>(capsuleId, (Object) audit, now.toEpochMilli()), AUDIT_SINK);
        }

        /** The refused submission's audit record, then the submission itself to the dead-letter topic. */
        private void refuseSubmission(Record<String, Object> record, byte[] raw, MarketplaceAudit.Builder audit,
                                      CapsuleCatalogEntry current, AttestationVerifier.Refused refused, Instant now) {
            audit.setAction("submission_refused").setRejection(message(refused.message()))
                    .setRejectionKind(refused.reason().wire())
                    .setFromStatus(current == null ? null : current.getStatus());
            MarketplaceAudit refusal = audit.build();
            forwardAudit(refusal.getCapsuleId(), refusal, now);
            deadLetter(record, raw, refused.reason(), refused.message());
        }

        /** The submission as it was sent, to {@code soma.dlq}, with the reason (cut, whatever it quotes). */
        private void deadLetter(Record<String, Object> record, byte[] raw, AttestationVerifier.Reason reason,
                                String reasonText) {
            metrics.submissionRefused(reason);
            var source = context.recordMetadata().orElseThrow();
            DlqHeaders.addTo(record.headers(), message(reason.wire() + ": " + reasonText), null, source.topic(),
                    source.partition(), source.offset(), APPLICATION_ID);
            Record<String, byte[]> deadLetter = DeadLetterLimit.fitted(new Record<>(record.key(), raw,
                    record.timestamp(), record.headers()));
            context.forward(deadLetter.withValue((Object) deadLetter.value()), DEAD_LETTER_SINK);
        }
    }
}
