package io.soma.streams.topologies.training;

import java.time.Duration;
import java.util.Set;

/**
 * One command for a tenant's lock, as the state machine sees it.
 *
 * @param actor the user the command acts as (the holder it takes, releases or extends the lock as)
 * @param ttl   requested lifetime for enable/extend; null means the configured default
 */
public record TrainingCommandRequest(String commandId, String tenant, Action action, TrainingUser actor,
                                     Set<String> actorCapabilities, String reason, Duration ttl) {
    public enum Action { ENABLE, DISABLE, EXTEND }

    public boolean actorIsAdmin() {
        return actorCapabilities.contains(TrainingRules.ADMIN_CAPABILITY);
    }
}
