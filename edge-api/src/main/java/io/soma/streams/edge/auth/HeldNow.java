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
            throw notHeld(actor, needed);
        }
        requireOn(holds, actor, tenant);
        return holds;
    }

    /**
     * @param held what the actor holds now ({@link #require})
     * @throws ApiException 403 when {@code tenant} is not the actor's own and it does not hold
     *                      {@code platform.operator} now
     */
    public static void requireOn(Set<Capability> held, Principal actor, String tenant) {
        if (tenant != null && !tenant.equals(actor.tenant()) && !held.contains(Capability.PLATFORM_OPERATOR)) {
            throw notHeld(actor, Capability.PLATFORM_OPERATOR);
        }
    }

    /**
     * An actor's credentials for a user speak with the user's power: it must hold every capability the user holds.
     *
     * @param held what the actor holds now ({@link #require})
     * @throws ApiException 403 with {@code refusal} and the capabilities beyond the actor's
     */
    public static void requireCovers(Set<Capability> held, Set<Capability> user, String refusal) {
        Set<Capability> beyond = Capability.beyond(user, held);
        if (!beyond.isEmpty()) {
            throw new ApiException(403, "forbidden", refusal, Map.of("required_capabilities",
                    Capability.claimsOf(beyond)));
        }
    }

    private static ApiException notHeld(Principal actor, Capability needed) {
        return new ApiException(403, "forbidden", "this needs " + needed.claim() + ", which " + actor.subject()
                + " of tenant " + actor.tenant() + " does not hold (its token, or its user as it is now)",
                Map.of("required_capabilities", List.of(needed.claim())));
    }
}
