package io.soma.streams.tools.forecast;

import io.soma.streams.topologies.forecast.ForecastAccuracy;
import io.soma.streams.topologies.forecast.ForecastSettings;
import io.soma.streams.topologies.forecast.ServeGenSeries;
import io.soma.streams.topologies.forecast.TokenForecaster;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Offline evaluation on the ServeGen m-large trace (Alibaba ServeGen, Apache-2.0): each tenant's windows are fed
 * in order through a {@link TokenForecaster}; every window of the scored days gets the forecast made one day
 * (one season) before it, and is compared with what happened — as are seasonal-naive (the same window the day
 * before) and a constant heuristic (100,000 tokens a day, spread evenly). The published 24-hour totals are
 * scored too: after each window that closes during the first scored day, the forecast of the next 24 hours' total
 * against the actual total, and seasonal-naive = the total of the 24 hours before. Tenants with no tokens at all
 * in the scored days have no WAPE and are left out (and counted).
 *
 * <p>Run: {@code java ... ServeGenForecastEvaluation [csv] [outputDir] [originDay]} (defaults:
 * {@code ../shared/data/servegen-language/servegen_m-large.csv}, {@code docs} and 13): {@code originDay} (1-based,
 * 2 to 13) is the day whose windows are the origins of the totals; the per-window scores are always days 13–14.
 */
public final class ServeGenForecastEvaluation {
    public static final int FIRST_SCORED_DAY = 12;
    public static final double OLD_CONSTANT_TOKENS_PER_DAY = 100_000;
    /**
     * Horizons of the rolling-origin totals (hours): an hour, a quarter and half a day, and the published 24 hours;
     * from day 13's origins longer ones would end after the trace.
     */
    public static final int[] TOTAL_HOURS = {1, 6, 12, 24};
    /** "Regular" tenants, defined on training days only: traffic in at least half of the windows. */
    public static final double REGULAR_ACTIVITY = 0.5;

    private ServeGenForecastEvaluation() {
    }

    /** One tenant's scored windows (relative to the first scored window). */
    public record TenantScore(String tenant, double trainingActivity, double scoredTokens, double forecasterWape,
                              double seasonalNaiveWape, double constantWape, long intervals, long covered,
                              double[] actual, double[] forecast, double[] lower, double[] upper,
                              DailyTotalScore dailyTotals, List<PeriodTotalScore> periodTotals) {
        public boolean regular() {
            return trainingActivity >= REGULAR_ACTIVITY;
        }
    }

    /** WAPEs of one tenant's 24-hour totals, forecast after each window of the first scored day. */
    public record DailyTotalScore(double actualTotal, double forecasterWape, double seasonalNaiveWape,
                                  long intervals, long covered) {
    }

    /**
     * One tenant's totals of the next {@code hours}, forecast after each window of the first scored day: summed
     * absolute errors of the forecaster and of seasonal-naive (the same hours one day before), and interval hits.
     */
    public record PeriodTotalScore(int hours, double actualTotal, double absoluteErrors,
                                   double seasonalNaiveAbsoluteErrors, long intervals, long covered) {
    }

    /**
     * Period totals pooled over tenants: volume-weighted WAPE (Σ|error| / Σ actual over every tenant and origin, so a
     * tenant weighs by its tokens) and interval coverage over the forecasts of tenants with tokens in those hours.
     */
    public record PooledTotals(int hours, double forecasterWape, double seasonalNaiveWape, long intervals,
                               long covered, long allIntervals, long allCovered) {
        public double ratio() {
            return forecasterWape / seasonalNaiveWape;
        }

        public double coverage() {
            return (double) covered / intervals;
        }

        public double allCoverage() {
            return (double) allCovered / allIntervals;
        }

        static PooledTotals of(int hours, List<PeriodTotalScore> scores) {
            double actual = scores.stream().mapToDouble(PeriodTotalScore::actualTotal).sum();
            List<PeriodTotalScore> active = scores.stream().filter(p -> p.actualTotal() > 0).toList();
            return new PooledTotals(hours, scores.stream().mapToDouble(PeriodTotalScore::absoluteErrors).sum() / actual,
                    scores.stream().mapToDouble(PeriodTotalScore::seasonalNaiveAbsoluteErrors).sum() / actual,
                    active.stream().mapToLong(PeriodTotalScore::intervals).sum(),
                    active.stream().mapToLong(PeriodTotalScore::covered).sum(),
                    scores.stream().mapToLong(PeriodTotalScore::intervals).sum(),
                    scores.stream().mapToLong(PeriodTotalScore::covered).sum());
        }
    }

    public record Summary(int tenants, int scoredTenants, Distribution forecaster, Distribution seasonalNaive,
                          Distribution constant, Distribution regularForecaster, Distribution regularSeasonalNaive,
                          Distribution regularConstant, long intervals, long covered, int tenantsBeatingSeasonalNaive,
                          int maxStateBytes, int dailyTotalTenants, Distribution dailyTotalForecaster,
                          Distribution dailyTotalSeasonalNaive, long dailyTotalIntervals, long dailyTotalCovered,
                          List<PooledTotals> pooledTotals) {
        public double medianRatio() {
            return forecaster.median() / seasonalNaive.median();
        }

        public double dailyTotalMedianRatio() {
            return dailyTotalForecaster.median() / dailyTotalSeasonalNaive.median();
        }

        public double dailyTotalCoverage() {
            return (double) dailyTotalCovered / dailyTotalIntervals;
        }

        public double coverage() {
            return (double) covered / intervals;
        }
    }

    public record Distribution(int count, double median, double p90, double mean) {
        static Distribution of(List<Double> values) {
            double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
            double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            return v.length == 0 ? new Distribution(0, Double.NaN, Double.NaN, Double.NaN)
                    : new Distribution(v.length, ForecastAccuracy.quantile(v, 0.5), ForecastAccuracy.quantile(v, 0.9), mean);
        }
    }


    /** Replays one tenant, returning its score (scoredTokens 0 if it had no traffic in the scored days). */
    public static TenantScore score(ServeGenSeries series, ForecastSettings settings, int[] stateBytes) {
        return score(series, settings, stateBytes, FIRST_SCORED_DAY);
    }

    /**
     * As {@link #score(ServeGenSeries, ForecastSettings, int[])}, with the totals forecast after each window of
     * {@code originDay} (0-based; at most {@link #FIRST_SCORED_DAY}, so that every horizon ends inside the trace).
     */
    public static TenantScore score(ServeGenSeries series, ForecastSettings settings, int[] stateBytes,
                                    int originDay) {
        int period = settings.windowsPerDay();
        long windowMs = settings.window().toMillis();
        int firstScored = FIRST_SCORED_DAY * period;
        int firstOrigin = originDay * period;
        int windows = series.promptTokens().length;
        int scoredWindows = windows - firstScored;
        double[] actual = new double[scoredWindows];
        double[] forecast = new double[scoredWindows];
        double[] lower = new double[scoredWindows];
        double[] upper = new double[scoredWindows];
        ForecastAccuracy model = new ForecastAccuracy();
        ForecastAccuracy seasonalNaive = new ForecastAccuracy();
        ForecastAccuracy constant = new ForecastAccuracy();
        double constantPerWindow = OLD_CONSTANT_TOKENS_PER_DAY / period;
        ForecastAccuracy dailyTotal = new ForecastAccuracy();
        ForecastAccuracy dailyTotalSeasonalNaive = new ForecastAccuracy();
        TokenForecaster forecaster = TokenForecaster.create(settings);
        int[] totalWindows = Arrays.stream(TOTAL_HOURS).map(h -> (int) Math.ceil(h * period / 24.0)).toArray();
        ForecastAccuracy[] periodModel = new ForecastAccuracy[TOTAL_HOURS.length];
        ForecastAccuracy[] periodSeasonalNaive = new ForecastAccuracy[TOTAL_HOURS.length];
        for (int i = 0; i < TOTAL_HOURS.length; i++) {
            periodModel[i] = new ForecastAccuracy();
            periodSeasonalNaive[i] = new ForecastAccuracy();
        }
        int activeTrainingWindows = 0;
        for (int w = 0; w < windows; w++) {
            forecaster.observe(w * windowMs, series.promptTokens()[w], series.completionTokens()[w]);
            if (w < firstScored && series.total(w) > 0) {
                activeTrainingWindows++;
            }
            if (w >= firstOrigin - 1 && w < firstOrigin + period - 1) {
                double next = series.total(w + 1, w + 1 + period);
                dailyTotal.add(next, forecaster.forecastTotal(period));
                dailyTotalSeasonalNaive.add(next, series.total(w + 1 - period, w + 1));
                TokenForecaster.Interval[] totals = forecaster.forecastTotals(totalWindows);
                for (int i = 0; i < totalWindows.length; i++) {
                    int n = totalWindows[i];
                    double actualTotal = series.total(w + 1, w + 1 + n);
                    periodModel[i].add(actualTotal, totals[i]);
                    periodSeasonalNaive[i].add(actualTotal, series.total(w + 1 - period, w + 1 - period + n));
                }
            }
            int target = w + period;
            if (target >= firstScored && target < windows) {
                TokenForecaster.Interval interval = forecaster.interval(period);
                double y = series.total(target);
                int i = target - firstScored;
                actual[i] = y;
                forecast[i] = interval.forecast();
                lower[i] = interval.lower();
                upper[i] = interval.upper();
                model.add(y, interval);
                seasonalNaive.add(y, series.total(target - period));
                constant.add(y, constantPerWindow);
            }
        }
        stateBytes[0] = Math.max(stateBytes[0], forecaster.toBytes().length);
        return new TenantScore(series.tenant(), (double) activeTrainingWindows / firstScored, model.actualTotal(),
                model.wape(), seasonalNaive.wape(), constant.wape(), model.intervalCount(), model.coveredCount(),
                actual, forecast, lower, upper, new DailyTotalScore(dailyTotal.actualTotal(), dailyTotal.wape(),
                dailyTotalSeasonalNaive.wape(), dailyTotal.intervalCount(), dailyTotal.coveredCount()),
                IntStream.range(0, TOTAL_HOURS.length).mapToObj(i -> new PeriodTotalScore(TOTAL_HOURS[i],
                        periodModel[i].actualTotal(), periodModel[i].absoluteErrors(),
                        periodSeasonalNaive[i].absoluteErrors(), periodModel[i].intervalCount(),
                        periodModel[i].coveredCount())).toList());
    }

    public static Summary summarize(List<TenantScore> all, int maxStateBytes) {
        List<TenantScore> scored = all.stream().filter(s -> s.scoredTokens() > 0).toList();
        List<TenantScore> regular = scored.stream().filter(TenantScore::regular).toList();
        long intervals = scored.stream().mapToLong(TenantScore::intervals).sum();
        long covered = scored.stream().mapToLong(TenantScore::covered).sum();
        int beating = (int) scored.stream().filter(s -> s.forecasterWape() < s.seasonalNaiveWape()).count();
        List<DailyTotalScore> totals = all.stream().map(TenantScore::dailyTotals).filter(t -> t.actualTotal() > 0)
                .toList();
        return new Summary(all.size(), scored.size(),
                Distribution.of(scored.stream().map(TenantScore::forecasterWape).toList()),
                Distribution.of(scored.stream().map(TenantScore::seasonalNaiveWape).toList()),
                Distribution.of(scored.stream().map(TenantScore::constantWape).toList()),
                Distribution.of(regular.stream().map(TenantScore::forecasterWape).toList()),
                Distribution.of(regular.stream().map(TenantScore::seasonalNaiveWape).toList()),
                Distribution.of(regular.stream().map(TenantScore::constantWape).toList()),
                intervals, covered, beating, maxStateBytes, totals.size(),
                Distribution.of(totals.stream().map(DailyTotalScore::forecasterWape).toList()),
                Distribution.of(totals.stream().map(DailyTotalScore::seasonalNaiveWape).toList()),
                totals.stream().mapToLong(DailyTotalScore::intervals).sum(),
                totals.stream().mapToLong(DailyTotalScore::covered).sum(),
                IntStream.range(0, TOTAL_HOURS.length).mapToObj(i -> PooledTotals.of(TOTAL_HOURS[i],
                        all.stream().map(t -> t.periodTotals().get(i)).toList())).toList());
    }

    public static void main(String[] args) throws IOException {
        Path csv = Path.of(args.length > 0 ? args[0] : "../shared/data/servegen-language/servegen_m-large.csv");
        Path out = Path.of(args.length > 1 ? args[1] : "docs");
        int originDay = args.length > 2 ? Integer.parseInt(args[2]) - 1 : FIRST_SCORED_DAY;
        if (originDay < 1 || originDay > FIRST_SCORED_DAY) {
            throw new IllegalArgumentException("originDay must be from 2 to " + (FIRST_SCORED_DAY + 1));
        }
        ForecastSettings settings = ForecastSettings.defaults();
        long started = System.nanoTime();
        Map<String, ServeGenSeries> series = ServeGenSeries.read(csv, settings.window());
        int[] stateBytes = {0};
        List<TenantScore> scores = new ArrayList<>();
        for (ServeGenSeries s : series.values()) {
            scores.add(score(s, settings, stateBytes, originDay));
        }
        Summary summary = summarize(scores, stateBytes[0]);
        double seconds = (System.nanoTime() - started) / 1e9;
        Files.createDirectories(out);
        writeTenantWapes(scores, out.resolve("forecasting-tenants.csv"));
        List<TenantScore> plotted = scores.stream().filter(s -> s.scoredTokens() > 0 && s.regular())
                .sorted(Comparator.comparingDouble(TenantScore::scoredTokens).reversed()).limit(4).toList();
        writeSample(plotted, out.resolve("forecasting-sample.csv"));
        ForecastPlot.write(plotted, settings.windowsPerDay(), out.resolve("forecasting-plot.png"));
        System.out.println(report(summary, seconds, originDay));
    }

    static String report(Summary s, double seconds, int originDay) {
        return String.format(Locale.ROOT, """
                tenants %d, scored %d (left out, no tokens in days %d-%d: %d)
                WAPE all scored tenants   forecaster median %.3f p90 %.3f mean %.3f | seasonal-naive median %.3f p90 %.3f mean %.3f | constant median %.3f p90 %.3f mean %.3f
                median ratio forecaster / seasonal-naive %.3f; tenants where forecaster beats seasonal-naive %d of %d
                WAPE regular tenants (%d) forecaster median %.3f p90 %.3f | seasonal-naive median %.3f p90 %.3f | constant median %.3f p90 %.3f; ratio %.3f
                80%% interval coverage %.3f (%d of %d windows)
                24-hour totals forecast during day %d (%d tenants): forecaster median %.3f p90 %.3f | seasonal-naive median %.3f p90 %.3f; ratio %.3f; 80%% interval coverage %.3f (%d of %d)
                state bytes per key %d; evaluation %.1f s""",
                s.tenants(), s.scoredTenants(), FIRST_SCORED_DAY + 1, ServeGenSeries.DAYS, s.tenants() - s.scoredTenants(),
                s.forecaster().median(), s.forecaster().p90(), s.forecaster().mean(),
                s.seasonalNaive().median(), s.seasonalNaive().p90(), s.seasonalNaive().mean(),
                s.constant().median(), s.constant().p90(), s.constant().mean(),
                s.medianRatio(), s.tenantsBeatingSeasonalNaive(), s.scoredTenants(),
                s.regularForecaster().count(), s.regularForecaster().median(), s.regularForecaster().p90(),
                s.regularSeasonalNaive().median(), s.regularSeasonalNaive().p90(),
                s.regularConstant().median(), s.regularConstant().p90(),
                s.regularForecaster().median() / s.regularSeasonalNaive().median(),
                s.coverage(), s.covered(), s.intervals(),
                originDay + 1, s.dailyTotalTenants(), s.dailyTotalForecaster().median(),
                s.dailyTotalForecaster().p90(), s.dailyTotalSeasonalNaive().median(), s.dailyTotalSeasonalNaive().p90(),
                s.dailyTotalMedianRatio(), s.dailyTotalCoverage(), s.dailyTotalCovered(), s.dailyTotalIntervals(),
                s.maxStateBytes(), seconds) + s.pooledTotals().stream().map(p -> String.format(Locale.ROOT,
                "%nrolling-origin totals of the next %d h (origins: every window of day %d): volume-weighted WAPE"
                        + " forecaster %.3f | seasonal-naive %.3f; ratio %.3f; 80%% interval coverage %.3f (%d of %d,"
                        + " tenants with tokens), %.3f (all %d)",
                p.hours(), originDay + 1, p.forecasterWape(), p.seasonalNaiveWape(), p.ratio(), p.coverage(),
                p.covered(), p.intervals(), p.allCoverage(), p.allIntervals())).collect(Collectors.joining());
    }

    private static void writeTenantWapes(List<TenantScore> scores, Path file) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("tenant,training_activity,scored_tokens,forecaster_wape,seasonal_naive_wape,constant_wape,interval_coverage");
            for (TenantScore s : scores) {
                if (s.scoredTokens() > 0) {
                    w.printf(Locale.ROOT, "%s,%.3f,%.0f,%.4f,%.4f,%.4f,%.3f%n", s.tenant(), s.trainingActivity(),
                            s.scoredTokens(), s.forecasterWape(), s.seasonalNaiveWape(), s.constantWape(),
                            (double) s.covered() / s.intervals());
                }
            }
        }
    }

    private static void writeSample(List<TenantScore> scores, Path file) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            w.println("tenant,window,actual,forecast,lower,upper");
            for (TenantScore s : scores) {
                for (int i = 0; i < s.actual().length; i++) {
                    w.printf(Locale.ROOT, "%s,%d,%.0f,%.0f,%.0f,%.0f%n", s.tenant(), i, s.actual()[i], s.forecast()[i],
                            s.lower()[i], s.upper()[i]);
                }
            }
        }
    }
}
