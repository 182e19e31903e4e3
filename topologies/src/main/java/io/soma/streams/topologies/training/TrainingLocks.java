package io.soma.streams.topologies.training;

import io.soma.streams.schemas.TrainingLockHolder;

/** Between the domain lock and its Avro form. */
final class TrainingLocks {
    private TrainingLocks() {
    }

    static io.soma.streams.avro.TrainingLock toAvro(TrainingLock lock) {
        return lock == null ? null : io.soma.streams.avro.TrainingLock.newBuilder()
                .setLockedBy(lock.lockedBy().name())
                .setLockedByTenant(lock.lockedBy().tenant())
                .setLockedAt(lock.lockedAt())
                .setReason(lock.reason())
                .setExpiresAt(lock.expiresAt())
                .build();
    }

    /** @param tenant the tenant whose lock it is: the holder's tenant of a lock written before it was recorded */
    static TrainingLock fromAvro(io.soma.streams.avro.TrainingLock lock, String tenant) {
        if (lock == null) {
            return null;
        }
        return new TrainingLock(new TrainingUser(TrainingLockHolder.tenantOf(lock, tenant), lock.getLockedBy()),
                lock.getLockedAt(), lock.getReason(), lock.getExpiresAt());
    }
}
