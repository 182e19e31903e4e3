package io.soma.streams.topologies.budget;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

    @Test
    void shouldRefuseARepeatWindowThatCouldRememberNothing() {
        BudgetApp.Config defaults = BudgetApp.Config.defaults();
        assertThatThrownBy(() -> new BudgetApp.Config(defaults.ledger(), defaults.checkInterval(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("budget.repeat.window");
    }

    @Test
    void shouldRefuseACheckIntervalThePunctuatorCannotBeScheduledAt() {
        BudgetApp.Config defaults = BudgetApp.Config.defaults();
        assertThatThrownBy(() -> new BudgetApp.Config(defaults.ledger(), Duration.ZERO, defaults.repeatWindow()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("budget.check.interval");
    }

    @Test
    void shouldSortDueKeysByTimeAndBoundThoseDueAtOrBeforeNow() {
        Instant now = Instant.parse("2026-12-06T12:00:00Z");
        String due = BudgetApp.dueKey(now, "org/team");
        String earlier = BudgetApp.dueKey(now.minusMillis(1), "zzz");
        String later = BudgetApp.dueKey(now.plusMillis(1), "");
        String far = BudgetApp.dueKey(Instant.parse("2286-11-20T17:46:40Z"), "a");

        assertThat(List.of(far, later, due, earlier).stream().sorted()).containsExactly(earlier, due, later, far);
        assertThat(BudgetApp.dueKeyAfter(now)).isGreaterThan(due).isLessThan(later);
    }
}
