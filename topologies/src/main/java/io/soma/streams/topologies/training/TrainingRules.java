package io.soma.streams.topologies.training;

import io.soma.streams.schemas.Texts;
import io.soma.streams.topologies.runtime.EventNames;

import java.time.Duration;
import java.time.Instant;

/**
 * The training-mode state machine of one tenant: a pure function of (current lock, command, now).
 * Every command yields exactly one outcome, accepted or rejected, so every command gets exactly one audit.
 */
public final class TrainingRules {
    public static final String ADMIN_CAPABILITY = "training.admin";
    /**
     * The longest reason a command may give, in characters. The reason rides in the lock, so an audit record holds
     * it up to three times (the command's, the lock before, the lock after): unbounded, one command could make a
     * record over the brokers' 1 MB limit and stall the app for every tenant of its partition.
     */
    public static final int MAX_REASON_CHARS = 2000;
    /** The longest user (the lock's holder), in characters, for the same reason. */
    public static final int MAX_USER_CHARS = 256;

    private final Duration defaultTtl;
    private final Duration maxTtl;

    public TrainingRules(Duration defaultTtl, Duration maxTtl) {
        checkTtls(defaultTtl, maxTtl);
        this.defaultTtl = defaultTtl;
        this.maxTtl = maxTtl;
    }

    /** @throws IllegalArgumentException unless 0 &lt; default TTL &lt;= max TTL */
    public static void checkTtls(Duration defaultTtl, Duration maxTtl) {
        if (defaultTtl.isNegative() || defaultTtl.isZero() || maxTtl.compareTo(defaultTtl) < 0) {
            throw new IllegalArgumentException("need 0 < default TTL <= max TTL, got " + defaultTtl + " / " + maxTtl);
        }
    }

    /** What a command did: the lock after it (null = disabled), and the audit action with its details. */
    public record Outcome(TrainingLock lockAfter, String auditAction, TrainingLock previousLock, String rejection,
                          Status status) {
        public enum Status { OK, NOT_FOUND, CONFLICT, FORBIDDEN, INVALID }

        /** A command refused: the lock stays as it was ({@code unchanged}, null when none is held). */
        public static Outcome rejected(TrainingLock unchanged, Status status, String why) {
            return new Outcome(unchanged, "training.rejected", unchanged, why, status);
        }

        public boolean accepted() {
            return rejection == null;
        }
    }

    public Outcome apply(TrainingLock current, TrainingCommandRequest command, Instant now) {
        // a lock past its expiry is gone even if the punctuator has not run yet
        TrainingLock live = current != null && current.expiredAt(now) ? null : current;
        if (Texts.longerThan(command.reason(), MAX_REASON_CHARS)) {
            return Outcome.rejected(live, Outcome.Status.INVALID, "reason must be at most " + MAX_REASON_CHARS
                    + " characters, got " + command.reason().length());
        }
        if (Texts.longerThan(command.actor().name(), MAX_USER_CHARS)) {
            return Outcome.rejected(live, Outcome.Status.INVALID, "user must be at most " + MAX_USER_CHARS
                    + " characters, got " + command.actor().name().length());
        }
        if (Texts.longerThan(command.actor().tenant(), EventNames.MAX_CHARS)) {
            return Outcome.rejected(live, Outcome.Status.INVALID, "user's tenant must be at most "
                    + EventNames.MAX_CHARS + " characters, got " + command.actor().tenant().length());
        }
        return switch (command.action()) {
            case ENABLE -> enable(live, command, now);
            case DISABLE -> disable(live, command);
            case EXTEND -> extend(live, command, now);
        };
    }

    /** The expiry of a lock the punctuator found past its time. */
    public Outcome expire(TrainingLock current) {
        return new Outcome(null, "training.expired", current, null, Outcome.Status.OK);
    }

    private Outcome enable(TrainingLock live, TrainingCommandRequest c, Instant now) {
        if (!c.actorIsAdmin()) {
            return Outcome.rejected(live, Outcome.Status.FORBIDDEN, "enabling training mode needs " + ADMIN_CAPABILITY);
        }
        if (live != null) {
            return Outcome.rejected(live, Outcome.Status.CONFLICT, "already enabled by " + holder(live, c));
        }
        Duration ttl = ttl(c);
        if (ttl == null) {
            return Outcome.rejected(null, Outcome.Status.INVALID, ttlProblem(c));
        }
        TrainingLock lock = new TrainingLock(c.actor(), now, c.reason(), now.plus(ttl));
        return new Outcome(lock, "training.enabled", null, null, Outcome.Status.OK);
    }

    private Outcome disable(TrainingLock live, TrainingCommandRequest c) {
        if (live == null) {
            return Outcome.rejected(null, Outcome.Status.NOT_FOUND, "not enabled");
        }
        if (!live.lockedBy().equals(c.actor()) && !c.actorIsAdmin()) {
            return Outcome.rejected(live, Outcome.Status.FORBIDDEN,
                    "only the holder (" + holder(live, c) + ") or " + ADMIN_CAPABILITY + " may disable");
        }
        return new Outcome(null, "training.disabled", live, null, Outcome.Status.OK);
    }

    private Outcome extend(TrainingLock live, TrainingCommandRequest c, Instant now) {
        if (live == null) {
            return Outcome.rejected(null, Outcome.Status.NOT_FOUND, "not enabled");
        }
        if (!live.lockedBy().equals(c.actor()) && !c.actorIsAdmin()) {
            return Outcome.rejected(live, Outcome.Status.FORBIDDEN,
                    "only the holder (" + holder(live, c) + ") or " + ADMIN_CAPABILITY + " may extend");
        }
        Duration ttl = ttl(c);
        if (ttl == null) {
            return Outcome.rejected(live, Outcome.Status.INVALID, ttlProblem(c));
        }
        // an extend never ends a lock sooner: a short TTL on a long lock leaves it as it is
        Instant expiresAt = now.plus(ttl).isAfter(live.expiresAt()) ? now.plus(ttl) : live.expiresAt();
        TrainingLock extended = new TrainingLock(live.lockedBy(), live.lockedAt(), live.reason(), expiresAt);
        return new Outcome(extended, "training.extended", live, null, Outcome.Status.OK);
    }

    private static String holder(TrainingLock live, TrainingCommandRequest c) {
        return live.lockedBy().shownFrom(c.tenant());
    }

    /** {@code text} as an audit record may echo it: cut to {@code maxChars} characters when longer. */
    public static String shown(String text, int maxChars) {
        return Texts.cut(text, maxChars);
    }

    /** The lifetime a command asks for, or null when it is out of bounds. */
    private Duration ttl(TrainingCommandRequest c) {
        Duration ttl = c.ttl() == null ? defaultTtl : c.ttl();
        return ttl.isNegative() || ttl.isZero() || ttl.compareTo(maxTtl) > 0 ? null : ttl;
    }

    private String ttlProblem(TrainingCommandRequest c) {
        return "ttl must be positive and at most " + maxTtl + ", got " + c.ttl();
    }
}
