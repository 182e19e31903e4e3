package io.soma.streams.edge.auth;

import io.soma.streams.edge.http.ApiException;

import java.util.EnumSet;
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

    /**
     * An actor's credentials for a user speak with the user's power: it must hold every capability the user holds.
     *
     * @param held what the actor holds now ({@link #require})
     * @throws ApiException 403 with {@code refusal} and the capabilities beyond the actor's
     */
    public static void requireCovers(Set<Capability> held, Set<Capability> user, String refusal) {
        Set<Capability> beyond = EnumSet.noneOf(Capability.class);
        beyond.addAll(user);
        beyond.removeAll(held);
        if (!beyond.isEmpty()) {
            throw new ApiException(403, "forbidden", refusal, Map.of("required_capabilities",
                    Capability.claimsOf(beyond)));
        }
    }

    private static ApiException noLongerHeld(Principal actor, Capability needed) {
        return new ApiException(403, "forbidden", actor.subject() + " of tenant " + actor.tenant()
                + " does not hold " + needed.claim() + " now (its token still says so until it expires)",
                Map.of("required_capabilities", List.of(needed.claim())));
    }
}
