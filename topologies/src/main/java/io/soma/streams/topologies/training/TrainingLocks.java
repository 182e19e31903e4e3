package io.soma.streams.topologies.training;

/** Between the domain lock and its Avro form. */
final class TrainingLocks {
    private TrainingLocks() {
    }

    static io.soma.streams.avro.TrainingLock toAvro(TrainingLock lock) {
        return lock == null ? null : io.soma.streams.avro.TrainingLock.newBuilder()
                .setLockedBy(lock.lockedBy())
                .setLockedAt(lock.lockedAt())
                .setReason(lock.reason())
                .setExpiresAt(lock.expiresAt())
                .build();
    }

    static TrainingLock fromAvro(io.soma.streams.avro.TrainingLock lock) {
        return lock == null ? null
                : new TrainingLock(lock.getLockedBy(), lock.getLockedAt(), lock.getReason(), lock.getExpiresAt());
    }
}
