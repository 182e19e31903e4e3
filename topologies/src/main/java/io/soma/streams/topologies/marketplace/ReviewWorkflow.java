package io.soma.streams.topologies.marketplace;

import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

import static io.soma.streams.schemas.Texts.longerThan;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_NAME_CHARS;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.MAX_NOTES_CHARS;
import static io.soma.streams.topologies.marketplace.MarketplaceLimits.shown;

/**
 * The reviewer workflow of a capsule, as a pure state machine (the marketplace app applies it one capsule at a time,
 * in order):
 * <pre>
 *   (new version) ──► submitted ──start_review──► in_review ──approve──► approved ──revoke──► revoked
 *                                                        └──reject (notes)──► rejected
 * </pre>
 * An attested new version of a capsule re-enters review from any status. A publisher never approves its own capsule,
 * and a reviewer acting on a version other than the current one is refused. Every accepted step is one
 * {@link Transition}; anything else is a {@link Refusal} with its reason, and changes nothing.
 */
public final class ReviewWorkflow {

    public enum Status { SUBMITTED, IN_REVIEW, APPROVED, REJECTED, REVOKED }

    public enum Action {
        START_REVIEW("review_started", Status.SUBMITTED, Status.IN_REVIEW),
        APPROVE("approved", Status.IN_REVIEW, Status.APPROVED),
        REJECT("rejected", Status.IN_REVIEW, Status.REJECTED),
        REVOKE("revoked", Status.APPROVED, Status.REVOKED);

        private final String auditName;
        private final Status from;
        private final Status to;

        Action(String auditName, Status from, Status to) {
            this.auditName = auditName;
            this.from = from;
            this.to = to;
        }

        public Status from() {
            return from;
        }

        public Status to() {
            return to;
        }

        public String auditName() {
            return auditName;
        }
    }

    /** What the edge maps a refusal to: conflict → 409, forbidden → 403, invalid → 400, not_found → 404. */
    public enum RefusalKind {
        CONFLICT, FORBIDDEN, INVALID, NOT_FOUND;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The audit name of a submission's transition. */
    public static final String SUBMITTED = "submitted";

    public sealed interface Outcome permits Transition, Refusal {
    }

    /** @param from null for a capsule's first submission */
    public record Transition(String auditName, Status from, Status to) implements Outcome {
    }

    public record Refusal(RefusalKind kind, String message) implements Outcome {
    }

    /**
     * The capsule as the workflow needs it: its status (null when written by a newer version of this code, and then
     * no action applies), who published it, and its current version.
     */
    public record Capsule(Status status, String publisher, String version) {
        public Capsule {
            Objects.requireNonNull(publisher, "publisher");
        }
    }

    /**
     * @param action          null when the command names an action this code does not know
     * @param expectedVersion the version the reviewer looked at; required to approve or reject, else null acts on
     *                        whatever is current
     */
    public record Review(Action action, String reviewer, String reviewerTenant, String notes, String expectedVersion) {
    }


    private ReviewWorkflow() {
    }

    /** An attested new version: always accepted, from any status (or none), into review. */
    public static Transition submit(Status current) {
        return new Transition(SUBMITTED, current, Status.SUBMITTED);
    }

    /** @param capsule null when the catalog has no such capsule */
    public static Outcome review(Capsule capsule, Review review) {
        if (capsule == null) {
            return new Refusal(RefusalKind.NOT_FOUND, "no such capsule");
        }
        Action action = review.action();
        if (action == null) {
            return new Refusal(RefusalKind.INVALID, "unknown review action");
        }
        if (longerThan(review.notes(), MAX_NOTES_CHARS)) {
            return new Refusal(RefusalKind.INVALID, "notes are " + review.notes().length()
                    + " characters long; at most " + MAX_NOTES_CHARS);
        }
        if (Stream.of(review.reviewer(), review.reviewerTenant(), review.expectedVersion())
                .anyMatch(name -> longerThan(name, MAX_NAME_CHARS))) {
            return new Refusal(RefusalKind.INVALID, "a reviewer, tenant or expected_version is longer than "
                    + MAX_NAME_CHARS + " characters");
        }
        if (review.expectedVersion() != null && !review.expectedVersion().equals(capsule.version())) {
            return new Refusal(RefusalKind.CONFLICT, "the capsule is at version " + shown(capsule.version()) + ", not "
                    + review.expectedVersion());
        }
        if (capsule.status() != action.from()) {
            return new Refusal(RefusalKind.CONFLICT, "cannot " + action.name().toLowerCase(Locale.ROOT).replace('_', ' ')
                    + " a capsule that is " + describe(capsule.status()) + " (only one that is "
                    + describe(action.from()) + ")");
        }
        if (action == Action.APPROVE && capsule.publisher().equals(review.reviewerTenant())) {
            return new Refusal(RefusalKind.FORBIDDEN, "a publisher never approves its own capsule ("
                    + capsule.publisher() + ")");
        }
        if (action == Action.REJECT && (review.notes() == null || review.notes().isBlank())) {
            return new Refusal(RefusalKind.INVALID, "a rejection needs notes saying why");
        }
        if ((action == Action.APPROVE || action == Action.REJECT) && review.expectedVersion() == null) {
            // a new version resets the capsule, and another reviewer may have started its review: without the
            // version, a decision on the one a reviewer read would land on one nobody has finished reading
            return new Refusal(RefusalKind.INVALID, "an approval or rejection names the version it decides "
                    + "(expected_version)");
        }
        return new Transition(action.auditName(), capsule.status(), action.to());
    }

    /** The notes an audit record keeps: all of them, or none when they are too long to be accepted. */
    public static String auditedNotes(String notes) {
        return longerThan(notes, MAX_NOTES_CHARS) ? null : notes;
    }

    private static String describe(Status status) {
        return status == null ? "in a status this version does not know"
                : status.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
