package io.soma.streams.topologies.budget;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BudgetAppTest {
    @Test
    void shouldPartitionABudgetKeyAsAProducerPartitionsItsTenant() {
        BudgetApp.ByTenantOfBudgetKey partitioner = new BudgetApp.ByTenantOfBudgetKey();
        for (String tenant : new String[]{"acme", "org/team", "tenant-42"}) {
            int asProduced = BuiltInPartitioner.partitionForKey(tenant.getBytes(StandardCharsets.UTF_8), 12);
            assertThat(partitioner.partitions("t", BudgetApp.budgetKey(tenant, "daily"), null, 12))
                    .as(tenant).isEqualTo(Optional.of(Set.of(asProduced)));
        }
    }

    @Test
    void shouldTakeTheTenantAsEverythingBeforeTheLastSlash() {
        assertThat(BudgetApp.tenantOf("org/team/daily")).isEqualTo("org/team");
        assertThatThrownBy(() -> BudgetApp.tenantOf("no-budget-id")).isInstanceOf(IllegalArgumentException.class);
    }
}
