package io.soma.streams.topologies.policy;

import java.util.concurrent.locks.StampedLock;

/**
 * Orders the writes to the policy app's constitution and rule-pack stores against {@link TenantPolicies}, which keeps
 * what it compiled from them: a compiled policy is kept only while no write has happened since the stores were read
 * for it, and checking that costs one volatile read instead of reading and Avro-decoding the stores on every event.
 * A write holds the lock from before its value is visible in the store until after, so a reader that could have seen
 * the new value (an interactive query, or the stream thread reading the store) never keeps the old policy.
 */
public final class PolicyStoreWrites {
    private final StampedLock lock = new StampedLock();

    /** Runs a write to one of the stores. */
    void write(Runnable write) {
        long stamp = lock.writeLock();
        try {
            write.run();
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Taken before reading the stores; 0 while a write is in progress (then nothing read now may be kept). */
    long beforeRead() {
        return lock.tryOptimisticRead();
    }

    /** Whether no write has started since {@code stamp} was taken, so what was read after it is what the stores hold. */
    boolean unchangedSince(long stamp) {
        return stamp != 0 && lock.validate(stamp);
    }
}
