package io.soma.streams.topologies.policy.evaluation;

/**
 * Where the capsule an event names stands in the marketplace catalog, as the policy's caller read it.
 *
 * @param capsuleId the event's {@code capsule_id}
 * @param approved  true only when the catalog holds the capsule as approved; absent, in review, rejected, revoked or
 *                  a status this code does not know are all not approved
 */
public record CapsuleStanding(String capsuleId, boolean approved) {
}
