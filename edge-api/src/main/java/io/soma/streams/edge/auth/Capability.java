package io.soma.streams.edge.auth;

import io.javalin.security.RouteRole;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a token allows. A route declares the capabilities that admit a caller as Javalin route roles
 * ({@code post("/v1/training/enable", handler, Capability.TRAINING_ADMIN)}); holding any one of them is enough.
 * Capabilities are scoped to the token's tenant ({@link io.soma.streams.edge.tenancy.TenantScope}).
 */
public enum Capability implements RouteRole {
    TRAINING_ADMIN("training.admin"),
    POLICY_ADMIN("policy.admin"),
    CONSTITUTION_PUBLISH("constitution.publish"),
    IDENTITY_ADMIN("identity.admin"),
    AUDIT_READ("audit.read"),
    CONVERSATION("conversation"),
    FORECAST_READ("forecast.read"),
    SLM_READ("slm.read"),
    /** Reads the capsule catalog, which every tenant shares. */
    MARKETPLACE_READ("marketplace.read"),
    /** Submits capsules as the token's tenant, the publisher. */
    MARKETPLACE_PUBLISH("marketplace.publish"),
    /**
     * Reviews and revokes capsules of the shared catalog, for every tenant at once: a platform role, which a tenant
     * admin does not hold and so cannot grant (a publisher's admin must not make reviewers of its own users).
     */
    MARKETPLACE_REVIEW("marketplace.review"),
    /** Defines and deletes the tenant's budgets; also reads them and their alerts. */
    BUDGET_ADMIN("budget.admin"),
    BUDGET_READ("budget.read"),
    /**
     * Acts across tenants and manages them. Every other capability acts on the token's own tenant only; a tenant
     * admin cannot grant this one, because a token can only be issued with capabilities its issuer holds.
     */
    PLATFORM_OPERATOR("platform.operator");

    private final String claim;

    Capability(String claim) {
        this.claim = claim;
    }

    /** The name carried in the token's {@code capabilities} claim and stored in PostgreSQL. */
    public String claim() {
        return claim;
    }

    public static Optional<Capability> fromClaim(String claim) {
        return Arrays.stream(values()).filter(c -> c.claim.equals(claim)).findFirst();
    }

    public static Set<Capability> all() {
        return EnumSet.allOf(Capability.class);
    }

    /** The claim names of {@code capabilities}, in declaration order: how tokens, audits and answers list them. */
    public static List<String> claimsOf(Set<Capability> capabilities) {
        return capabilities.stream().sorted().map(Capability::claim).toList();
    }

    /** Those of {@code wanted} that {@code held} lacks: what a grant or a credential would add to its grantor's. */
    public static Set<Capability> beyond(Set<Capability> wanted, Set<Capability> held) {
        Set<Capability> beyond = EnumSet.noneOf(Capability.class);
        beyond.addAll(wanted);
        beyond.removeAll(held);
        return beyond;
    }

    /** What a tenant's own admin may hold: everything but acting across tenants and reviewing the shared catalog. */
    public static Set<Capability> tenantAdmin() {
        return EnumSet.complementOf(EnumSet.of(PLATFORM_OPERATOR, MARKETPLACE_REVIEW));
    }
}
