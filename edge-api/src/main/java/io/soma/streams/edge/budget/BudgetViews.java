package io.soma.streams.edge.budget;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.BudgetAlert;
import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetLedger;
import io.soma.streams.avro.BudgetProjection;
import io.soma.streams.avro.BudgetStatus;
import io.soma.streams.topologies.budget.LedgerSettings;
import io.soma.streams.topologies.budget.OpenReservations;
import io.soma.streams.topologies.budget.RecentIds;
import io.soma.streams.topologies.budget.TenantLedger;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** How budgets, their status and alerts look in the API, in Redis and on SSE: the Avro fields, snake_case. */
final class BudgetViews {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BudgetViews() {
    }

    /** A tenant's ledger as the store answers it: every budget's definition and status at {@code now}. */
    static Map<String, Object> ledger(BudgetLedger stored, LedgerSettings settings, Instant now) {
        // a status needs only the ledger's totals; a ledger the app has not yet rewritten sums its own reservations
        TenantLedger ledger = TenantLedger.of(stored, stored.getTenant(), OpenReservations.inMemory(), RecentIds.none(),
                settings);
        List<Map<String, Object>> budgets = new TreeSet<>(stored.getBudgets().keySet()).stream()
                .map(id -> budget(stored.getBudgets().get(id).getDefinition(), ledger.status(id, now))).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", stored.getTenant());
        out.put("budgets", budgets);
        return out;
    }

    static Map<String, Object> budget(BudgetDefinition d, BudgetStatus s) {
        Map<String, Object> out = definition(d);
        out.putAll(status(s));
        return out;
    }

    static Map<String, Object> definition(BudgetDefinition d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", d.getTenant());
        out.put("budget_id", d.getBudgetId());
        out.put("provider", d.getProvider());
        out.put("model", d.getModel());
        out.put("capsule_id", d.getCapsuleId());
        out.put("limit_tokens", d.getLimitTokens());
        out.put("limit_usd", d.getLimitUsd());
        out.put("period", d.getPeriod().name());
        out.put("time_zone", d.getTimeZone());
        out.put("rolling_seconds", d.getRollingSeconds());
        out.put("thresholds_percent", d.getThresholdsPercent());
        out.put("hard", d.getHard());
        out.put("fail_closed", d.getFailClosed());
        out.put("updated_at", d.getUpdatedAt().toString());
        out.put("updated_by", d.getUpdatedBy());
        return out;
    }

    static Map<String, Object> status(BudgetStatus s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tenant", s.getTenant());
        out.put("budget_id", s.getBudgetId());
        out.put("period_start", s.getPeriodStart().toString());
        out.put("period_end", s.getPeriodEnd().toString());
        out.put("limit_tokens", s.getLimitTokens());
        out.put("limit_usd", s.getLimitUsd());
        out.put("spent_tokens", s.getSpentTokens());
        out.put("spent_usd", s.getSpentUsd());
        out.put("reserved_tokens", s.getReservedTokens());
        out.put("reserved_usd", s.getReservedUsd());
        out.put("remaining_tokens", s.getRemainingTokens());
        out.put("remaining_usd", s.getRemainingUsd());
        out.put("hard", s.getHard());
        out.put("fail_closed", s.getFailClosed());
        out.put("status_at", s.getUpdatedAt().toString());
        out.put("projection", s.getProjection() == null ? null : projection(s.getProjection()));
        return out;
    }

    static Map<String, Object> projection(BudgetProjection p) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("coverage", p.getCoverage());
        out.put("tokens_calibrated", p.getTokensCalibrated());
        out.put("usd_calibrated", p.getUsdCalibrated());
        out.put("observed_from", p.getObservedFrom().toString());
        out.put("settled_events", p.getSettledEvents());
        out.put("tokens", p.getTokens());
        out.put("tokens_lower", p.getTokensLower());
        out.put("tokens_upper", p.getTokensUpper());
        out.put("usd", p.getUsd());
        out.put("usd_lower", p.getUsdLower());
        out.put("usd_upper", p.getUsdUpper());
        out.put("exhaustion_at", instant(p.getExhaustionAt()));
        out.put("exhaustion_earliest", instant(p.getExhaustionEarliest()));
        out.put("exhaustion_latest", instant(p.getExhaustionLatest()));
        return out;
    }

    static Map<String, Object> alert(BudgetAlert a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alert_id", a.getAlertId());
        out.put("tenant", a.getTenant());
        out.put("budget_id", a.getBudgetId());
        out.put("kind", a.getKind());
        out.put("threshold_percent", a.getThresholdPercent());
        out.put("used_percent", a.getUsedPercent());
        out.put("spent_tokens", a.getSpentTokens());
        out.put("spent_usd", a.getSpentUsd());
        out.put("period_start", a.getPeriodStart().toString());
        out.put("period_end", a.getPeriodEnd().toString());
        out.put("raised_at", a.getRaisedAt().toString());
        out.put("message", a.getMessage());
        out.put("projected_at", instant(a.getProjectedAt()));
        out.put("projected_earliest", instant(a.getProjectedEarliest()));
        out.put("projected_latest", instant(a.getProjectedLatest()));
        return out;
    }

    private static String instant(Instant t) {
        return t == null ? null : t.toString();
    }

    /** The spend in parts of the limit: the larger of tokens and USD when both are limited. */
    static double spentRatio(BudgetStatus s) {
        double ratio = 0;
        if (s.getLimitTokens() != null) {
            ratio = Math.max(ratio, (double) s.getSpentTokens() / s.getLimitTokens());
        }
        if (s.getLimitUsd() != null) {
            ratio = Math.max(ratio, s.getSpentUsd() / s.getLimitUsd());
        }
        return ratio;
    }

    static String json(Map<String, Object> view) {
        try {
            return JSON.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
