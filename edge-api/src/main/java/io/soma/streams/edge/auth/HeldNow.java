package io.soma.streams.edge.auth;

import io.soma.streams.edge.http.ApiException;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The check of every action on credentials (issuing tokens for others, creating tenants, creating, listing and
 * revoking API keys, revoking others' tokens): the capability it needs, and {@code platform.operator} to act on
 * another tenant, must be held by the token's user now, in PostgreSQL, not only claimed by the token. A user demoted
 * there keeps a valid token for up to its lifetime, and must not turn that hour into a credential that outlives it,
 * nor retire other people's.
 */
public final class HeldNow {
    private HeldNow() {
    }

    /**
     * @param tenant the tenant acted on; null for an action on no one tenant
     * @return what the actor holds now ({@link IdentityStore#holdsNow})
     * @throws ApiException 403 naming the capability the actor's user no longer holds
     */
    public static Set<Capability> require(IdentityStore identities, Principal actor, Capability needed,
                                          String tenant) {
        Set<Capability> holds = identities.holdsNow(actor);
        if (!holds.contains(needed)) {
            throw noLongerHeld(actor, needed);
        }
        if (tenant != null && !tenant.equals(actor.tenant()) && !holds.contains(Capability.PLATFORM_OPERATOR)) {
            throw noLongerHeld(actor, Capability.PLATFORM_OPERATOR);
        }
        return holds;
    }

    private static ApiException noLongerHeld(Principal actor, Capability needed) {
        return new ApiException(403, "forbidden", actor.subject() + " of tenant " + actor.tenant()
                + " does not hold " + needed.claim() + " now (its token still says so until it expires)",
                Map.of("required_capabilities", List.of(needed.claim())));
    }
}
