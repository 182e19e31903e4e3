package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetAudit;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What one ledger operation produced: audit records, alerts, and the budgets whose status changed or went. */
public final class LedgerEffects {
    private final List<BudgetAudit> audits = new ArrayList<>();
    private final List<BudgetAlert> alerts = new ArrayList<>();
    private final Set<String> changedBudgets = new TreeSet<>();
    private final Set<String> deletedBudgets = new TreeSet<>();

    void audit(BudgetAudit audit) {
        audits.add(audit);
    }

    void alert(BudgetAlert alert) {
        alerts.add(alert);
    }

    void changed(String budgetId) {
        changedBudgets.add(budgetId);
    }

    void deleted(String budgetId) {
        changedBudgets.remove(budgetId);
        deletedBudgets.add(budgetId);
    }

    public List<BudgetAudit> audits() {
        return audits;
    }

    public List<BudgetAlert> alerts() {
        return alerts;
    }

    public Set<String> changedBudgets() {
        return changedBudgets;
    }

    public Set<String> deletedBudgets() {
        return deletedBudgets;
    }

    public boolean isEmpty() {
        return audits.isEmpty() && alerts.isEmpty() && changedBudgets.isEmpty() && deletedBudgets.isEmpty();
    }
}
