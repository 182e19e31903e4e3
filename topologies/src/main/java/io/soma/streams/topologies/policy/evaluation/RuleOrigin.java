package io.soma.streams.topologies.policy.evaluation;

/** Where a compiled rule came from; a tenant rule cannot shadow a global one with the same name. */
public enum RuleOrigin {
    GLOBAL, TENANT
}
