package io.soma.streams.topologies.marketplace;

import io.soma.streams.topologies.marketplace.ReviewWorkflow.Action;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.Capsule;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.Outcome;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.Refusal;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.RefusalKind;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.Review;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.Status;
import io.soma.streams.topologies.marketplace.ReviewWorkflow.Transition;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every action from every status: the four allowed steps work, everything else is refused with its reason. */
class ReviewWorkflowTest {
    private static final String PUBLISHER = "acme-tools";
    private static final Map<Action, Status> ALLOWED_FROM = Map.of(Action.START_REVIEW, Status.SUBMITTED,
            Action.APPROVE, Status.IN_REVIEW, Action.REJECT, Status.IN_REVIEW, Action.REVOKE, Status.APPROVED);
    private static final Map<Action, Status> LEADS_TO = Map.of(Action.START_REVIEW, Status.IN_REVIEW,
            Action.APPROVE, Status.APPROVED, Action.REJECT, Status.REJECTED, Action.REVOKE, Status.REVOKED);

    @Test
    void shouldApplyEveryAllowedTransition() {
        for (Action action : Action.values()) {
            Outcome outcome = ReviewWorkflow.review(capsule(ALLOWED_FROM.get(action)), byReviewer(action));

            assertThat(outcome).as(action.name()).isEqualTo(new Transition(action.auditName(), ALLOWED_FROM.get(action),
                    LEADS_TO.get(action)));
        }
    }

    @Test
    void shouldRefuseEveryOtherTransitionAsAConflict() {
        int refused = 0;
        for (Action action : Action.values()) {
            for (Status status : Status.values()) {
                if (status == ALLOWED_FROM.get(action)) {
                    continue;
                }
                Outcome outcome = ReviewWorkflow.review(capsule(status), byReviewer(action));
                assertThat(outcome).as(action + " from " + status).isInstanceOfSatisfying(Refusal.class,
                        r -> assertThat(r.kind()).isEqualTo(RefusalKind.CONFLICT));
                refused++;
            }
        }
        assertThat(refused).isEqualTo(Action.values().length * (Status.values().length - 1));
        assertThat(ReviewWorkflow.review(capsule(Status.APPROVED), byReviewer(Action.APPROVE)))
                .isEqualTo(new Refusal(RefusalKind.CONFLICT, "cannot approve a capsule that is approved (only one that is in review)"));
    }

    @Test
    void shouldLetANewVersionReEnterReviewFromEveryStatus() {
        assertThat(ReviewWorkflow.submit(null)).isEqualTo(new Transition("submitted", null, Status.SUBMITTED));
        for (Status status : Status.values()) {
            assertThat(ReviewWorkflow.submit(status)).isEqualTo(new Transition("submitted", status, Status.SUBMITTED));
        }
    }

    @Test
    void shouldRefuseAPublisherApprovingItsOwnCapsule() {
        Outcome outcome = ReviewWorkflow.review(capsule(Status.IN_REVIEW),
                new Review(Action.APPROVE, "alice", PUBLISHER, "looks fine to me", null));

        assertThat(outcome).isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.kind()).isEqualTo(RefusalKind.FORBIDDEN));
    }

    @Test
    void shouldRequireNotesToReject() {
        for (String notes : new String[] {null, " "}) {
            Outcome outcome = ReviewWorkflow.review(capsule(Status.IN_REVIEW),
                    new Review(Action.REJECT, "rita", "reviewers", notes, null));
            assertThat(outcome).isEqualTo(new Refusal(RefusalKind.INVALID, "a rejection needs notes saying why"));
        }
    }

    @Test
    void shouldRefuseNotesLongerThanAnEntryCanCarryAndKeepThemOutOfTheAudit() {
        String longest = "n".repeat(MarketplaceLimits.MAX_NOTES_CHARS);
        String tooLong = longest + "n";

        assertThat(ReviewWorkflow.review(capsule(Status.IN_REVIEW),
                new Review(Action.REJECT, "rita", "reviewers", longest, "1.0.0"))).isInstanceOf(ReviewWorkflow.Transition.class);
        assertThat(ReviewWorkflow.review(capsule(Status.IN_REVIEW),
                new Review(Action.REJECT, "rita", "reviewers", tooLong, null)))
                .isEqualTo(new Refusal(RefusalKind.INVALID, "notes are 2001 characters long; at most 2000"));
        assertThat(ReviewWorkflow.review(capsule(Status.IN_REVIEW), new Review(Action.APPROVE, "rita", "reviewers", null,
                "1".repeat(MarketplaceLimits.MAX_NAME_CHARS + 1))))
                .isEqualTo(new Refusal(RefusalKind.INVALID, "a reviewer, tenant or expected_version is longer than 256 characters"));
        assertThat(ReviewWorkflow.auditedNotes(longest)).isEqualTo(longest);
        assertThat(ReviewWorkflow.auditedNotes(tooLong)).isNull();
        assertThat(ReviewWorkflow.auditedNotes(null)).isNull();
    }

    @Test
    void shouldRequireTheVersionAnApprovalOrRejectionDecides() {
        for (Action decision : new Action[] {Action.APPROVE, Action.REJECT}) {
            Outcome outcome = ReviewWorkflow.review(capsule(Status.IN_REVIEW),
                    new Review(decision, "rita", "reviewers", "reviewed the manifest and findings", null));

            assertThat(outcome).as(decision.name()).isEqualTo(new Refusal(RefusalKind.INVALID,
                    "an approval or rejection names the version it decides (expected_version)"));
        }
        // starting a review and revoking act on whatever version the capsule is at
        assertThat(ReviewWorkflow.review(capsule(Status.SUBMITTED),
                new Review(Action.START_REVIEW, "rita", "reviewers", null, null))).isInstanceOf(Transition.class);
        assertThat(ReviewWorkflow.review(capsule(Status.APPROVED),
                new Review(Action.REVOKE, "rita", "reviewers", "maintainer unreachable", null)))
                .isInstanceOf(Transition.class);
    }

    @Test
    void shouldRefuseAnUnknownCapsuleActionOrVersion() {
        assertThat(ReviewWorkflow.review(null, byReviewer(Action.APPROVE)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.kind()).isEqualTo(RefusalKind.NOT_FOUND));
        assertThat(ReviewWorkflow.review(capsule(Status.SUBMITTED), new Review(null, "rita", "reviewers", null, null)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.kind()).isEqualTo(RefusalKind.INVALID));
        assertThat(ReviewWorkflow.review(capsule(Status.IN_REVIEW),
                new Review(Action.APPROVE, "rita", "reviewers", null, "0.9.0")))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.kind()).isEqualTo(RefusalKind.CONFLICT));
        assertThat(ReviewWorkflow.review(capsule(null), byReviewer(Action.START_REVIEW)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.kind()).isEqualTo(RefusalKind.CONFLICT));
    }

    private static Capsule capsule(Status status) {
        return new Capsule(status, PUBLISHER, "1.0.0");
    }

    private static Review byReviewer(Action action) {
        return new Review(action, "rita", "reviewers", "reviewed the manifest and findings", "1.0.0");
    }
}
