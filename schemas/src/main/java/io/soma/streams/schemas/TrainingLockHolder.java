package io.soma.streams.schemas;

import io.soma.streams.avro.TrainingLock;

/** Whose a training lock is, for every reader of the record: the lock's own tenant fills in an absent holder tenant. */
public final class TrainingLockHolder {
    private TrainingLockHolder() {
    }

    /** The tenant of {@code lock}'s holder; a lock of {@code lockTenant} taken before it was recorded is its own. */
    public static String tenantOf(TrainingLock lock, String lockTenant) {
        return lock.getLockedByTenant() == null ? lockTenant : lock.getLockedByTenant();
    }
}
