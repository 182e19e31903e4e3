package io.soma.streams.edge.sse;

import io.soma.streams.edge.http.ApiException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the open event streams of one process, in total and per tenant, over every stream it serves: each open
 * stream holds a connection and a queue, so one tenant opening thousands would starve every other. Beyond a limit
 * the request is answered 429 before its stream starts.
 */
public final class SseAdmission {
    private final int perTenant;
    private final int perProcess;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, AtomicInteger> openByTenant = new ConcurrentHashMap<>();

    public SseAdmission(int perTenant, int perProcess) {
        if (perTenant < 1 || perProcess < 1) {
            throw new IllegalArgumentException("SSE connection limits must be at least 1, got " + perTenant
                    + " per tenant and " + perProcess + " per process");
        }
        this.perTenant = perTenant;
        this.perProcess = perProcess;
    }

    /** A place for one more stream of {@code tenant}, held until the permit is closed; 429 when there is none. */
    public Permit admit(String tenant) {
        AtomicInteger ofTenant = openByTenant.computeIfAbsent(tenant, t -> new AtomicInteger());
        if (ofTenant.incrementAndGet() > perTenant) {
            ofTenant.decrementAndGet();
            throw tooMany("tenant " + tenant + " has " + perTenant + " open event streams on this instance, its limit",
                    "tenant", perTenant);
        }
        if (open.incrementAndGet() > perProcess) {
            open.decrementAndGet();
            ofTenant.decrementAndGet();
            throw tooMany("this instance serves " + perProcess + " open event streams, its limit", "process", perProcess);
        }
        return new Permit(ofTenant);
    }

    public int openStreams() {
        return open.get();
    }

    private static ApiException tooMany(String message, String scope, int limit) {
        return new ApiException(429, "too_many_streams", message + "; close one or retry later",
                Map.of("limit_scope", scope, "limit", limit));
    }

    /** One admitted stream; closing it more than once frees its place once. */
    public final class Permit implements AutoCloseable {
        private final AtomicInteger ofTenant;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Permit(AtomicInteger ofTenant) {
            this.ofTenant = ofTenant;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                ofTenant.decrementAndGet();
                open.decrementAndGet();
            }
        }
    }
}
