package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.schemas.Texts;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Checks a budget definition before it is stored or applied; an empty list means it is valid. */
public final class BudgetValidation {
    /**
     * The longest tenant, budget id, provider, model, capsule id, time zone or author, in characters. Each rides in
     * the tenant's ledger, its status, audit and alert records; unbounded, one definition could make a record over
     * the brokers' 1 MB limit and stall the app for every tenant of its partition.
     */
    public static final int MAX_NAME_CHARS = 256;
    /**
     * The most budgets one tenant holds: its ledger, one record with every budget's period, stays under the brokers'
     * 1 MB record limit (792,025 bytes at most: TenantLedgerTest).
     */
    public static final int MAX_BUDGETS_PER_TENANT = 100;
    /**
     * The most tokens one step may declare (prompt, or maximum completion) or one response report, each: far above
     * any model's context, and small enough that no sum the ledger keeps can overflow a long (one overflowed
     * estimate would be negative, granted past every hard limit, and would hold the tenant's reserved total below 0).
     */
    public static final long MAX_STEP_TOKENS = 1_000_000_000L;
    /** The longest ROLLING period, a leap year: its slices and windows stay well inside what time arithmetic holds. */
    public static final long MAX_ROLLING_SECONDS = 366L * 24 * 3600;

    private BudgetValidation() {
    }

    /** Whether a step's declared or reported token count is in 0..{@value #MAX_STEP_TOKENS}. */
    public static boolean stepTokensInRange(long tokens) {
        return tokens >= 0 && tokens <= MAX_STEP_TOKENS;
    }

    /** A name as a refusal may echo it: cut to {@value #MAX_NAME_CHARS} characters. */
    public static String shown(String name) {
        return Texts.cut(name, MAX_NAME_CHARS);
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
        nameProblems(d, problems);
        periodProblems(d, problems);
        thresholdProblems(d.getThresholdsPercent(), problems);
        return problems;
    }

    private static void nameProblems(BudgetDefinition d, List<BudgetProblem> problems) {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("tenant", d.getTenant());
        names.put("budget_id", d.getBudgetId());
        names.put("provider", d.getProvider());
        names.put("model", d.getModel());
        names.put("capsule_id", d.getCapsuleId());
        names.put("time_zone", d.getTimeZone());
        names.put("updated_by", d.getUpdatedBy());
        names.forEach((field, value) -> {
            if (Texts.longerThan(value, MAX_NAME_CHARS)) {
                problems.add(new BudgetProblem(field, "must be at most " + MAX_NAME_CHARS + " characters, got "
                        + value.length()));
            }
        });
    }

    private static void periodProblems(BudgetDefinition d, List<BudgetProblem> problems) {
        BudgetPeriodKind period = d.getPeriod();
        if (period == null || period == BudgetPeriodKind.UNKNOWN) {
            problems.add(new BudgetProblem("period", "must be DAY, WEEK, MONTH or ROLLING"));
            return;
        }
        if (d.getTimeZone() != null) {
            // checked for a rolling period too, which has no use for one: a zone that does not exist is a mistake
            try {
                ZoneId.of(d.getTimeZone());
            } catch (DateTimeException e) {
                problems.add(new BudgetProblem("time_zone", "unknown time zone " + shown(d.getTimeZone())));
            }
        }
        if (period == BudgetPeriodKind.ROLLING) {
            if (d.getRollingSeconds() == null || d.getRollingSeconds() <= 0) {
                problems.add(new BudgetProblem("rolling_seconds", "a ROLLING period needs a positive length"));
            } else if (d.getRollingSeconds() > MAX_ROLLING_SECONDS) {
                problems.add(new BudgetProblem("rolling_seconds", "must be at most " + MAX_ROLLING_SECONDS
                        + " (366 days), got " + d.getRollingSeconds()));
            }
            return;
        }
        if (d.getRollingSeconds() != null) {
            problems.add(new BudgetProblem("rolling_seconds", "only a ROLLING period has a length"));
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
