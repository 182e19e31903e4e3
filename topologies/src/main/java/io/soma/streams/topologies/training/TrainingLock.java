package io.soma.streams.topologies.training;

import java.time.Instant;

/** A tenant's training-mode lock while it is held. */
public record TrainingLock(TrainingUser lockedBy, Instant lockedAt, String reason, Instant expiresAt) {
    public boolean expiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
