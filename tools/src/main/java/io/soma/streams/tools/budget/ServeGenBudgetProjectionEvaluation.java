package io.soma.streams.tools.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.avro.BudgetProjection;
import io.soma.streams.topologies.budget.LedgerSettings;
import io.soma.streams.topologies.budget.OpenReservations;
import io.soma.streams.topologies.budget.RecentIds;
import io.soma.streams.topologies.budget.TenantLedger;
import io.soma.streams.topologies.budget.Usage;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.forecast.ServeGenSeries;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How honest the budget projection is on the ServeGen m-large trace (Alibaba ServeGen, Apache-2.0): every tenant gets
 * a UTC day budget, defined at the trace's start, in a real {@link TenantLedger}; each 10-minute window with tokens is
 * one usage event settled at the window's start (as {@code ServeGenEvents} replays it), and the ledger is rolled every
 * hour as the app's punctuator would. At every whole hour from 01:00 to 23:00 (the rolling origins) the status's
 * projection of the day's total is taken, if the day has settled usage by then, and scored against the day's actual
 * total when the day ends. The projection is deterministic: the same trace gives the same numbers.
 *
 * <p>Per trace day: coverage of the 80 % interval, the share below its lower bound, the share of calibrated
 * projections, and the point's volume-weighted WAPE (Σ|total − point| / Σ total over every tenant and origin) next to
 * seasonal-naive's (yesterday's total as the day's projection, for the days with a yesterday).
 *
 * <p>Run: {@code java ... ServeGenBudgetProjectionEvaluation [csv]} (default
 * {@code ../shared/data/servegen-language/servegen_m-large.csv}).
 */
public final class ServeGenBudgetProjectionEvaluation {
    static final Duration WINDOW = Duration.ofMinutes(10);
    /** Trace day 1 starts here, as in {@code ServeGenEvents}: a UTC midnight. */
    static final Instant TRACE_START = Instant.parse("2025-01-02T00:00:00Z");
    static final String BUDGET = "daily";
    private static final int WINDOWS_PER_HOUR = 6;
    private static final int WINDOWS_PER_DAY = 144;

    private ServeGenBudgetProjectionEvaluation() {
    }

    /** One projection made at an origin, with the day's actual total. */
    public record Scored(int day, int hour, boolean calibrated, double actual, double point, double lower,
                         double upper, double seasonalNaive) {
        boolean covered() {
            return actual >= lower && actual <= upper;
        }
    }

    /** Scores one tenant: its day budget's projections at every origin with settled usage, oldest first. */
    public static List<Scored> score(ServeGenSeries series) {
        LedgerSettings settings = new LedgerSettings(PriceTable.defaults(), Duration.ofMinutes(5), 1024);
        TenantLedger ledger = TenantLedger.of(null, series.tenant(), OpenReservations.inMemory(),
                RecentIds.none(), settings);
        ledger.define(BudgetDefinition.newBuilder().setTenant(series.tenant()).setBudgetId(BUDGET)
                .setLimitTokens(Long.MAX_VALUE / 4).setPeriod(BudgetPeriodKind.DAY).setHard(false)
                .setUpdatedAt(TRACE_START).build(), TRACE_START);
        List<Scored> scored = new ArrayList<>();
        int windows = series.promptTokens().length;
        for (int day = 0; day * WINDOWS_PER_DAY < windows; day++) {
            int first = day * WINDOWS_PER_DAY;
            double actual = series.total(first, first + WINDOWS_PER_DAY);
            double yesterday = day == 0 ? Double.NaN : series.total(first - WINDOWS_PER_DAY, first);
            for (int w = first; w < first + WINDOWS_PER_DAY; w++) {
                Instant at = TRACE_START.plus(WINDOW.multipliedBy(w));
                if (w % WINDOWS_PER_HOUR == 0) {
                    // the punctuator's roll, then the origin: the status as a gateway would read it now
                    ledger.expireAndRoll(at);
                    BudgetProjection p = ledger.status(BUDGET, at).getProjection();
                    if (w > first && p != null) {
                        scored.add(new Scored(day + 1, (w - first) / WINDOWS_PER_HOUR, p.getTokensCalibrated(), actual,
                                p.getTokens(), p.getTokensLower(), p.getTokensUpper(), yesterday));
                    }
                }
                if (series.total(w) > 0) {
                    String window = series.tenant() + "-" + w;
                    ledger.settle(new Usage(window, window, null, null, null,
                            series.promptTokens()[w], series.completionTokens()[w]), at);
                }
            }
        }
        return scored;
    }

    public static void main(String[] args) {
        Path csv = Path.of(args.length > 0 ? args[0] : "../shared/data/servegen-language/servegen_m-large.csv");
        Map<String, ServeGenSeries> all = ServeGenSeries.read(csv, WINDOW);
        List<Scored> scored = new ArrayList<>();
        all.values().forEach(s -> scored.addAll(score(s)));
        System.out.printf(Locale.ROOT, "%d tenants, %d projections (UTC day budgets, origins 01:00-23:00)%n",
                all.size(), scored.size());
        System.out.println("day              projections  coverage  below  calibrated  WAPE  seasonal-naive WAPE  ratio");
        for (int day = 1; day <= ServeGenSeries.DAYS; day++) {
            int d = day;
            print(Integer.toString(day), scored.stream().filter(s -> s.day() == d).toList());
        }
        print("9-12", scored.stream().filter(s -> s.day() >= 9 && s.day() <= 12).toList());
        // the calibrated projections and those still on the normal approximation (too few past scores)
        print("9-12 calibrated", scored.stream().filter(s -> s.day() >= 9 && s.day() <= 12 && s.calibrated()).toList());
        print("9-12 normal", scored.stream().filter(s -> s.day() >= 9 && s.day() <= 12 && !s.calibrated()).toList());
        print("all", scored);
    }

    private static void print(String days, List<Scored> scored) {
        double actual = 0;
        double errors = 0;
        double naiveErrors = 0;
        long covered = 0;
        long below = 0;
        long calibrated = 0;
        for (Scored s : scored) {
            actual += s.actual();
            errors += Math.abs(s.actual() - s.point());
            naiveErrors += Double.isNaN(s.seasonalNaive()) ? Double.NaN : Math.abs(s.actual() - s.seasonalNaive());
            covered += s.covered() ? 1 : 0;
            below += s.actual() < s.lower() ? 1 : 0;
            calibrated += s.calibrated() ? 1 : 0;
        }
        double n = scored.size();
        System.out.printf(Locale.ROOT, "%-16s %11d  %8.3f  %5.3f  %10.3f  %.3f  %19.3f  %.3f%n", days, scored.size(),
                covered / n, below / n, calibrated / n, errors / actual, naiveErrors / actual, errors / naiveErrors);
    }
}
