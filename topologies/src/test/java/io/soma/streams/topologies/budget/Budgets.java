package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.avro.BudgetReservationRequest;

import java.time.Instant;

/** Budget definitions and requests for the budget tests; each test sets what it is about. */
final class Budgets {
    private Budgets() {
    }

    /** A hard daily token budget in UTC with the default thresholds. */
    static BudgetDefinition.Builder daily(String tenant, String budgetId, long limitTokens) {
        return BudgetDefinition.newBuilder().setTenant(tenant).setBudgetId(budgetId).setLimitTokens(limitTokens)
                .setPeriod(BudgetPeriodKind.DAY).setUpdatedAt(Instant.EPOCH);
    }

    static BudgetReservationRequest request(String tenant, String requestId, String provider, String model,
                                            long promptTokens, long maxCompletionTokens) {
        return BudgetReservationRequest.newBuilder().setRequestId(requestId).setTenant(tenant)
                .setProvider(provider).setModel(model).setPromptTokens(promptTokens)
                .setMaxCompletionTokens(maxCompletionTokens).setRequestedAt(Instant.EPOCH).build();
    }
}
