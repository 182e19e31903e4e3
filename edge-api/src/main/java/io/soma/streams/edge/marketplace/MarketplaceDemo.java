package io.soma.streams.edge.marketplace;

import io.soma.streams.avro.CapsuleReviewAction;
import io.soma.streams.avro.CapsuleReviewCommand;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.edge.kafka.ReplyWaiter;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.marketplace.Attestation;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.MarketplaceAvro;
import io.soma.streams.topologies.marketplace.McpRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;

/**
 * The demo's catalog, filled in the background so startup does not wait for it: the real MCP registry entries
 * attested with the EXAMPLE publisher key and submitted, then a reviewer takes a few through every state (approved,
 * rejected, revoked, in review; the rest stay submitted). A restarted demo finds its versions attested already (the
 * app refuses them as replayed) and leaves the catalog as it is.
 */
final class MarketplaceDemo implements AutoCloseable {
    /** The demo reviewer's tenant: not the example publisher, so its approvals are allowed. */
    static final String REVIEWER_TENANT = "soma-marketplace-reviewers";
    static final String REVIEWER = "demo-reviewer";
    private static final Logger log = LoggerFactory.getLogger(MarketplaceDemo.class);
    private static final int PROGRESS_EVERY = 100;
    /** How long the whole demo waits for the app's answers: it may still be starting when the first ones are sent. */
    private static final Duration PATIENCE = Duration.ofMinutes(5);
    /** Per capsule, the reviewer's steps: the first capsules in id order get one plan each. */
    private static final List<List<CapsuleReviewAction>> PLANS = List.of(
            List.of(CapsuleReviewAction.START_REVIEW, CapsuleReviewAction.APPROVE),
            List.of(CapsuleReviewAction.START_REVIEW, CapsuleReviewAction.APPROVE),
            List.of(CapsuleReviewAction.START_REVIEW, CapsuleReviewAction.APPROVE),
            List.of(CapsuleReviewAction.START_REVIEW, CapsuleReviewAction.REJECT),
            List.of(CapsuleReviewAction.START_REVIEW, CapsuleReviewAction.APPROVE, CapsuleReviewAction.REVOKE),
            List.of(CapsuleReviewAction.START_REVIEW));

    private final Producer<String, SpecificRecord> producer;
    private final ReplyWaiter<MarketplaceAudit> outcomes;
    private final Path registryFile;
    private final Path keyFile;
    private final Thread thread;
    private Instant deadline;

    private MarketplaceDemo(Producer<String, SpecificRecord> producer, ReplyWaiter<MarketplaceAudit> outcomes,
                            Path registryFile, Path keyFile) {
        this.producer = producer;
        this.outcomes = outcomes;
        this.registryFile = registryFile;
        this.keyFile = keyFile;
        this.thread = new Thread(this::run, "marketplace-demo");
        thread.setDaemon(true);
    }

    static MarketplaceDemo start(Producer<String, SpecificRecord> producer, ReplyWaiter<MarketplaceAudit> outcomes,
                                 Path datasetsDir, Path keyFile) {
        MarketplaceDemo demo = new MarketplaceDemo(producer, outcomes, McpRegistry.file(datasetsDir), keyFile);
        demo.thread.start();
        return demo;
    }

    private void run() {
        deadline = Instant.now().plus(PATIENCE);
        try {
            if (!Files.isReadable(registryFile) || !Files.isReadable(keyFile)) {
                log.warn("marketplace demo: {} or the example key {} is missing; the catalog stays empty",
                        registryFile, keyFile);
                return;
            }
            List<String> accepted = submitAll(McpRegistry.read(registryFile), ExampleCapsulePublisher.privateKey(keyFile));
            if (accepted.isEmpty()) {
                log.info("marketplace demo: no new capsule accepted (seeded by an earlier run); no review started");
                return;
            }
            review(accepted.stream().sorted().limit(PLANS.size()).toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("marketplace demo stopped: {}", e.toString());
        }
    }

    /** Submits every entry at once and waits for each outcome; returns the capsules that entered review. */
    private List<String> submitAll(List<McpRegistry.Entry> entries, PrivateKey key) throws InterruptedException {
        log.info("marketplace demo: submitting {} registry entries as {}", entries.size(),
                ExampleCapsulePublisher.PUBLISHER);
        Map<String, CompletableFuture<MarketplaceAudit>> pending = new LinkedHashMap<>();
        for (McpRegistry.Entry entry : entries) {
            Attestation attestation = ExampleCapsulePublisher.attest(entry, key);
            CapsuleSubmission submission = CapsuleSubmission.newBuilder()
                    .setSubmissionId(UUID.randomUUID().toString())
                    .setCapsuleId(entry.capsuleId())
                    .setPublisher(ExampleCapsulePublisher.PUBLISHER)
                    .setSubmittedBy("demo-publisher")
                    .setManifest(MarketplaceAvro.manifest(entry.manifest()))
                    .setAttestation(MarketplaceAvro.attestation(attestation))
                    .setSubmittedAt(Instant.now())
                    .build();
            pending.put(submission.getSubmissionId(), outcomes.expect(submission.getSubmissionId()));
            producer.send(new ProducerRecord<>(Topics.MARKETPLACE_SUBMISSIONS.name(), entry.capsuleId(), submission));
        }
        List<String> accepted = new ArrayList<>();
        int answered = 0;
        int refused = 0;
        for (var p : pending.entrySet()) {
            MarketplaceAudit outcome = await(p.getKey(), p.getValue());
            if (outcome == null) {
                continue;
            }
            answered++;
            if (outcome.getToStatus() == CapsuleStatus.SUBMITTED) {
                accepted.add(outcome.getCapsuleId());
            } else {
                refused++;
            }
            if (answered % PROGRESS_EVERY == 0) {
                log.info("marketplace demo: {} of {} submissions answered", answered, pending.size());
            }
        }
        log.info("marketplace demo: {} submissions answered, {} capsules in review, {} refused", answered,
                accepted.size(), refused);
        return accepted;
    }

    private void review(List<String> capsules) throws InterruptedException {
        for (int i = 0; i < capsules.size(); i++) {
            String capsuleId = capsules.get(i);
            MarketplaceAudit last = null;
            // the version under review, as each outcome names it: a decision must name what it decides
            String version = null;
            for (CapsuleReviewAction action : PLANS.get(i)) {
                CapsuleReviewCommand command = CapsuleReviewCommand.newBuilder()
                        .setCommandId(UUID.randomUUID().toString())
                        .setCapsuleId(capsuleId)
                        .setAction(action)
                        .setReviewer(REVIEWER)
                        .setReviewerTenant(REVIEWER_TENANT)
                        .setNotes(action == CapsuleReviewAction.START_REVIEW ? null
                                : "demo review: " + action.name().toLowerCase(Locale.ROOT))
                        .setExpectedVersion(version)
                        .setRequestedAt(Instant.now())
                        .build();
                CompletableFuture<MarketplaceAudit> reply = outcomes.expect(command.getCommandId());
                producer.send(new ProducerRecord<>(Topics.MARKETPLACE_REVIEWS.name(), capsuleId, command));
                last = await(command.getCommandId(), reply);
                if (last == null || last.getRejection() != null) {
                    log.warn("marketplace demo: {} of {} was not applied: {}", action, capsuleId,
                            last == null ? "no answer" : last.getRejection());
                    break;
                }
                version = last.getVersion();
            }
            if (last != null && last.getToStatus() != null) {
                log.info("marketplace demo: capsule {} is {}", capsuleId, last.getToStatus());
            }
        }
    }

    private MarketplaceAudit await(String id, CompletableFuture<MarketplaceAudit> reply) throws InterruptedException {
        try {
            return reply.get(Math.max(0, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } finally {
            outcomes.forget(id);
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
