package io.soma.streams.edge.auth;

import java.util.Set;

/** A user of a tenant and what it may do, as stored in PostgreSQL. */
public record Identity(String tenant, String subject, Set<Capability> capabilities) {

    public Identity {
        capabilities = Set.copyOf(capabilities);
    }
}
