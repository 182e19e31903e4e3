package io.soma.streams.topologies.training;

import java.util.Objects;

/**
 * A user of a tenant: a lock's holder or the user a command acts as. Users are named per tenant, so a holder is
 * compared by both: a platform operator "admin" holding tenant acme's lock is not acme's user "admin".
 */
public record TrainingUser(String tenant, String name) {
    public TrainingUser {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(name, "name");
    }

    /** How a message names this user to a caller acting on {@code onTenant}: the tenant only when it is another. */
    public String shownFrom(String onTenant) {
        return tenant.equals(onTenant) ? name : name + " of tenant " + tenant;
    }
}
