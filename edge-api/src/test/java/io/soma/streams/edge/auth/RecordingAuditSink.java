package io.soma.streams.edge.auth;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory identity audit: every event, in order. */
final class RecordingAuditSink implements IdentityAuditSink {
    private final List<IdentityEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void record(IdentityEvent event) {
        events.add(event);
    }

    List<IdentityEvent> events() {
        return List.copyOf(events);
    }

    List<IdentityEvent> events(String action, String jti) {
        return events.stream().filter(e -> e.action().equals(action) && e.jti().equals(jti)).toList();
    }
}
