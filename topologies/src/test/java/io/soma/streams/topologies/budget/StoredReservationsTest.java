package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetReservation;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class StoredReservationsTest {
    private final KeyValueStore<String, BudgetReservation> store = Budgets.reservationStore();

    @Test
    void shouldFindATenantsReservationsAndNoneOfATenantWhoseNameItBegins() {
        // tenants may hold '/': "org" + "/team/r" and "org/team" + "/r" must not meet
        OpenReservations org = new StoredReservations(store, "org");
        OpenReservations team = new StoredReservations(store, "org/team");
        org.put("team/r", reservation(100));
        team.put("r", reservation(200));
        team.put("s", reservation(300));

        assertThat(org.all()).containsOnlyKeys("team/r");
        assertThat(team.all()).containsOnlyKeys("r", "s");
        assertThat(org.get("r")).isNull();
        assertThat(team.get("r").getTokens()).isEqualTo(200);

        team.delete("r");
        assertThat(team.all()).containsOnlyKeys("s");
        assertThat(org.all()).containsOnlyKeys("team/r");
    }

    private static BudgetReservation reservation(long tokens) {
        return BudgetReservation.newBuilder().setTokens(tokens).setUsd(0).setReservedAt(Instant.EPOCH)
                .setExpiresAt(Instant.EPOCH.plusSeconds(300)).build();
    }
}
