package io.soma.streams.topologies.training;

import io.soma.streams.topologies.training.TrainingCommandRequest.Action;
import io.soma.streams.topologies.training.TrainingRules.Outcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-23T08:00:00Z");
    private static final TrainingUser ALICE = new TrainingUser("acme", "alice");
    private final TrainingRules rules = new TrainingRules(Duration.ofHours(24), Duration.ofDays(7));

    private static TrainingCommandRequest command(Action action, String actor, boolean admin, Duration ttl) {
        return new TrainingCommandRequest("c-" + action + actor, "acme", action, new TrainingUser("acme", actor),
                admin ? Set.of(TrainingRules.ADMIN_CAPABILITY) : Set.of(), "fine-tune run", ttl);
    }

    @Test
    void shouldEnableWithTheDefaultTtl() {
        Outcome o = rules.apply(null, command(Action.ENABLE, "alice", true, null), NOW);
        assertThat(o.accepted()).isTrue();
        assertThat(o.auditAction()).isEqualTo("training.enabled");
        assertThat(o.lockAfter()).isEqualTo(new TrainingLock(ALICE, NOW, "fine-tune run", NOW.plus(Duration.ofHours(24))));
    }

    @Test
    void shouldRejectEnablingAnEnabledTenantNamingTheHolder() {
        TrainingLock held = rules.apply(null, command(Action.ENABLE, "alice", true, null), NOW).lockAfter();
        Outcome o = rules.apply(held, command(Action.ENABLE, "bob", true, null), NOW);
        assertThat(o.status()).isEqualTo(Outcome.Status.CONFLICT);
        assertThat(o.rejection()).isEqualTo("already enabled by alice");
        assertThat(o.auditAction()).isEqualTo("training.rejected");
        assertThat(o.lockAfter()).isEqualTo(held);
    }

    @Test
    void shouldLetOnlyTheHolderOrAnAdminDisable() {
        TrainingLock held = rules.apply(null, command(Action.ENABLE, "alice", true, null), NOW).lockAfter();
        assertThat(rules.apply(held, command(Action.DISABLE, "mallory", false, null), NOW).status())
                .isEqualTo(Outcome.Status.FORBIDDEN);
        Outcome byHolder = rules.apply(held, command(Action.DISABLE, "alice", false, null), NOW);
        assertThat(byHolder.auditAction()).isEqualTo("training.disabled");
        assertThat(byHolder.previousLock()).isEqualTo(held);
        assertThat(byHolder.lockAfter()).isNull();
        assertThat(rules.apply(held, command(Action.DISABLE, "root", true, null), NOW).accepted()).isTrue();
    }

    /** Users are named per tenant: acme's "admin" is not the platform operator "admin" who took acme's lock. */
    @Test
    void shouldTellAHolderFromAUserOfTheSameNameInAnotherTenant() {
        TrainingUser operator = new TrainingUser("platform", "admin");
        TrainingLock held = rules.apply(null, new TrainingCommandRequest("c-op", "acme", Action.ENABLE, operator,
                Set.of(TrainingRules.ADMIN_CAPABILITY), "eval run", null), NOW).lockAfter();
        assertThat(held.lockedBy()).isEqualTo(operator);

        Outcome disable = rules.apply(held, command(Action.DISABLE, "admin", false, null), NOW);
        Outcome extend = rules.apply(held, command(Action.EXTEND, "admin", false, Duration.ofDays(7)), NOW);
        Outcome enable = rules.apply(held, command(Action.ENABLE, "bob", true, null), NOW);

        assertThat(disable.status()).isEqualTo(Outcome.Status.FORBIDDEN);
        assertThat(disable.rejection()).isEqualTo("only the holder (admin of tenant platform) or training.admin may disable");
        assertThat(extend.status()).isEqualTo(Outcome.Status.FORBIDDEN);
        assertThat(extend.lockAfter()).isEqualTo(held);
        assertThat(enable.rejection()).isEqualTo("already enabled by admin of tenant platform");
        assertThat(rules.apply(held, new TrainingCommandRequest("c-op2", "acme", Action.DISABLE, operator, Set.of(),
                null, null), NOW).accepted()).isTrue();
    }

    /** A lock written before its holder's tenant was recorded is held by a user of the lock's own tenant. */
    @Test
    void shouldReadALockWithoutAHolderTenantAsHeldByAUserOfItsOwnTenant() {
        io.soma.streams.avro.TrainingLock legacy = io.soma.streams.avro.TrainingLock.newBuilder().setLockedBy("alice")
                .setLockedAt(NOW).setExpiresAt(NOW.plus(Duration.ofHours(1))).build();

        TrainingLock read = TrainingLocks.fromAvro(legacy, "acme");

        assertThat(read.lockedBy()).isEqualTo(ALICE);
        assertThat(rules.apply(read, command(Action.DISABLE, "alice", false, null), NOW).accepted()).isTrue();
        assertThat(TrainingLocks.toAvro(read).getLockedByTenant()).isEqualTo("acme");
    }

    @Test
    void shouldRejectDisablingADisabledTenant() {
        Outcome o = rules.apply(null, command(Action.DISABLE, "alice", true, null), NOW);
        assertThat(o.status()).isEqualTo(Outcome.Status.NOT_FOUND);
        assertThat(o.rejection()).isEqualTo("not enabled");
    }

    @Test
    void shouldTreatAnExpiredLockAsGone() {
        TrainingLock held = rules.apply(null, command(Action.ENABLE, "alice", true, Duration.ofMinutes(1)), NOW).lockAfter();
        Instant later = NOW.plus(Duration.ofMinutes(2));
        assertThat(rules.apply(held, command(Action.ENABLE, "bob", true, null), later).accepted()).isTrue();
    }

    @Test
    void shouldBoundTheTtl() {
        Outcome o = rules.apply(null, command(Action.ENABLE, "alice", true, Duration.ofDays(30)), NOW);
        assertThat(o.status()).isEqualTo(Outcome.Status.INVALID);
        assertThat(o.lockAfter()).isNull();
    }

    @Test
    void shouldExtendKeepingTheHolder() {
        TrainingLock held = rules.apply(null, command(Action.ENABLE, "alice", true, null), NOW).lockAfter();
        Instant later = NOW.plus(Duration.ofHours(1));
        Outcome o = rules.apply(held, command(Action.EXTEND, "alice", false, Duration.ofHours(48)), later);
        assertThat(o.auditAction()).isEqualTo("training.extended");
        assertThat(o.lockAfter().expiresAt()).isEqualTo(later.plus(Duration.ofHours(48)));
        assertThat(o.lockAfter().lockedBy()).isEqualTo(ALICE);
        // a shorter TTL than what is left does not cut the lock short
        Outcome shorter = rules.apply(o.lockAfter(), command(Action.EXTEND, "alice", false, Duration.ofHours(1)), later);
        assertThat(shorter.lockAfter().expiresAt()).isEqualTo(later.plus(Duration.ofHours(48)));
    }

    @Test
    void shouldRequireAdminToEnable() {
        assertThat(rules.apply(null, command(Action.ENABLE, "alice", false, null), NOW).status())
                .isEqualTo(Outcome.Status.FORBIDDEN);
    }

    /** Longer, the reason (kept in the lock) would make audit records over the brokers' limit and stall the app. */
    @Test
    void shouldRefuseAReasonOrUserOverItsLimitAndKeepTheLock() {
        TrainingLock held = rules.apply(null, command(Action.ENABLE, "alice", true, null), NOW).lockAfter();
        TrainingCommandRequest longReason = new TrainingCommandRequest("c-1", "acme", Action.EXTEND, ALICE,
                Set.of(TrainingRules.ADMIN_CAPABILITY), "r".repeat(TrainingRules.MAX_REASON_CHARS + 1), null);
        TrainingCommandRequest longUser = new TrainingCommandRequest("c-2", "acme", Action.DISABLE,
                new TrainingUser("acme", "u".repeat(TrainingRules.MAX_USER_CHARS + 1)), Set.of(TrainingRules.ADMIN_CAPABILITY), "done", null);
        TrainingCommandRequest atLimit = new TrainingCommandRequest("c-3", "acme", Action.EXTEND, ALICE,
                Set.of(), "r".repeat(TrainingRules.MAX_REASON_CHARS), null);

        Outcome reason = rules.apply(held, longReason, NOW);
        Outcome user = rules.apply(held, longUser, NOW);

        assertThat(reason.status()).isEqualTo(Outcome.Status.INVALID);
        assertThat(reason.rejection()).isEqualTo("reason must be at most 2000 characters, got 2001");
        assertThat(reason.lockAfter()).isEqualTo(held);
        assertThat(user.status()).isEqualTo(Outcome.Status.INVALID);
        assertThat(user.lockAfter()).isEqualTo(held);
        assertThat(rules.apply(held, atLimit, NOW).accepted()).isTrue();
        assertThat(TrainingRules.shown("r".repeat(5000), TrainingRules.MAX_REASON_CHARS)).hasSize(2001).endsWith("…");
    }
}
