package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/** Checks a budget definition before it is stored or applied; an empty list means it is valid. */
public final class BudgetValidation {
    private BudgetValidation() {
    }

    public static List<BudgetProblem> problems(BudgetDefinition d) {
        List<BudgetProblem> problems = new ArrayList<>();
        if (d.getTenant() == null || d.getTenant().isBlank()) {
            problems.add(new BudgetProblem("tenant", "must not be blank"));
        }
        if (d.getBudgetId() == null || d.getBudgetId().isBlank() || d.getBudgetId().contains("/")) {
            problems.add(new BudgetProblem("budget_id", "must be non-blank and contain no '/'"));
        }
        if (d.getLimitTokens() == null && d.getLimitUsd() == null) {
            problems.add(new BudgetProblem("limit_tokens", "set limit_tokens, limit_usd or both"));
        }
        if (d.getLimitTokens() != null && d.getLimitTokens() <= 0) {
            problems.add(new BudgetProblem("limit_tokens", "must be positive, got " + d.getLimitTokens()));
        }
        if (d.getLimitUsd() != null && !(d.getLimitUsd() > 0 && Double.isFinite(d.getLimitUsd()))) {
            problems.add(new BudgetProblem("limit_usd", "must be a positive number, got " + d.getLimitUsd()));
        }
        periodProblems(d, problems);
        thresholdProblems(d.getThresholdsPercent(), problems);
        return problems;
    }

    private static void periodProblems(BudgetDefinition d, List<BudgetProblem> problems) {
        BudgetPeriodKind period = d.getPeriod();
        if (period == null || period == BudgetPeriodKind.UNKNOWN) {
            problems.add(new BudgetProblem("period", "must be DAY, WEEK, MONTH or ROLLING"));
            return;
        }
        if (period == BudgetPeriodKind.ROLLING) {
            if (d.getRollingSeconds() == null || d.getRollingSeconds() <= 0) {
                problems.add(new BudgetProblem("rolling_seconds", "a ROLLING period needs a positive length"));
            }
            return;
        }
        if (d.getRollingSeconds() != null) {
            problems.add(new BudgetProblem("rolling_seconds", "only a ROLLING period has a length"));
        }
        if (d.getTimeZone() != null) {
            try {
                ZoneId.of(d.getTimeZone());
            } catch (DateTimeException e) {
                problems.add(new BudgetProblem("time_zone", "unknown time zone " + d.getTimeZone()));
            }
        }
    }

    private static void thresholdProblems(List<Integer> thresholds, List<BudgetProblem> problems) {
        int previous = 0;
        for (Integer t : thresholds) {
            if (t == null || t <= previous || t > 100) {
                problems.add(new BudgetProblem("thresholds_percent",
                        "must be strictly increasing percentages in (0, 100], got " + thresholds));
                return;
            }
            previous = t;
        }
    }
}
