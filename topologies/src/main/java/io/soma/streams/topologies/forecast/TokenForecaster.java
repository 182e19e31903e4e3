package io.soma.streams.topologies.forecast;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Token forecaster of one key, updated with one observation per closed window and never re-reading history.
 *
 * <p>Model: robust additive Holt-Winters (Gelper, Fried and Croux 2010) — level, damped trend, a daily season of
 * one value per window slot and a day-of-week offset — with every error Huber-clipped at {@code huberK} times a
 * recursive error scale. On top sits an activity gate: each slot tracks how often it had any traffic, and a slot
 * that is idle more often than not is forecast as 0, the L1-optimal answer for intermittent tenants (WAPE is an
 * L1 score, minimised by the median). While history is short it falls back: running mean for the first
 * {@value #MEAN_ONLY_WINDOWS} windows, then level and trend (method {@code holt}) until a full day has been seen,
 * then the daily season ({@code holt-winters}), named {@code holt-winters-weekly} once every weekday has an offset.
 *
 * <p>Per window, a second method competes from the third day on: the seasonal median, the median of the same
 * window 1, 2 and 7 days before (robust to one day's burst or one quiet day). Both methods' forecasts one day ahead
 * are scored when their window closes (exponentially smoothed absolute errors, rate {@link #SELECTION_RATE}); the
 * next day's windows are forecast by the one with the lower score (method {@code seasonal-median} when it is the
 * median), longer horizons by Holt-Winters.
 *
 * <p>Accuracy is measured, not assumed: each update stores the forecast one day ahead and, when that window
 * closes, scores it. The last week of those errors gives the prediction intervals (empirical quantiles), the last
 * day of them gives {@link #recentWape()}. The next 24 hours' total is forecast separately, from the rolling daily
 * totals (see {@link #forecastTotal(int)}): the sum of gated per-window forecasts is biased low; its interval is
 * conformal on its own scored totals.
 *
 * <p>Windows are numbered {@code windowStart / windowLength} from the epoch; the day-of-week is that number's day
 * modulo 7. A window the key never reported (the streaming app only sees windows that had events) counts as 0
 * tokens: when an observation skips windows, the skipped ones are fed as zeros first (at most one week of them —
 * older gaps are forgotten after a week anyway). An observation at or before the last one is ignored.
 */
public final class TokenForecaster {
    static final int MEAN_ONLY_WINDOWS = 12;
    private static final int FORMAT_VERSION = 4;
    /**
     * Smoothing of the two per-window methods' recent 24-hour-ahead absolute errors, which pick the published
     * per-window forecast (chosen on ServeGen days 1–12, see docs/forecasting.md).
     */
    static final double SELECTION_RATE = 1.0 / 432;
    /** Past daily totals the 24-hour total is forecast from: the last 24 hours and the two days before. */
    private static final int DAILY_TOTALS = 3;
    /**
     * Step of the adaptive miscoverage level of the 24-hour total's interval (adaptive conformal inference, Gibbs
     * and Candès 2021): after each scored total the level moves by this times (target − missed). Larger than their
     * 0.005 because a total's miss is only known a day after it was forecast, 144 forecasts later; chosen on
     * ServeGen days 9–12 among 0.005, 0.02 and 0.05 (docs/forecasting.md).
     */
    static final double ADAPTATION_RATE = 0.05;
    /**
     * A first-day window over this many times the day's median active window is seeded into the season at this
     * bound: later updates are clipped at huberK × scale, so one burst seeded as it is (10^9 tokens among windows of
     * 10^3) would stay in its slot's season, and in every forecast beyond a day, for months. High enough to leave
     * real first days alone (docs/forecasting.md).
     */
    static final double FIRST_DAY_BURST_FACTOR = 100;
    private static final int MAGIC = 0x534F4D46; // "SOMF"
    private static final int MIN_ERRORS_FOR_QUANTILES = 30;
    /** Mean absolute error × 1.25 ≈ standard deviation for normal errors. */
    private static final double MAE_TO_SIGMA = 1.25;

    private final ForecastSettings settings;
    private final int period;
    private final int week;
    private final int meanOnlyWindows;

    private long lastIndex = Long.MIN_VALUE;
    private long observed;
    /** First window whose one-day-ahead forecast was made by this state (not lost in a gap). */
    private long scoringFrom;
    private double level;
    private double trend;
    private double scale;
    private double promptShare = 0.5;
    private double dayResidualSum;
    private final double[] season;
    private final double[] dayOfWeek = new double[7];
    private final float[] activity;
    /**
     * The last week of actuals, by window index modulo a week: the seasonal median's inputs; its last day seeds
     * the season and is the denominator of recent WAPE.
     */
    private final float[] weekActuals;
    /** Published forecast made one day before the window of that slot. */
    private final float[] pending;
    /** Holt-Winters' own forecast made one day before the window of that slot (scores it against the median). */
    private final float[] pendingHoltWinters;
    /** Exponentially smoothed absolute 24-hour-ahead errors of Holt-Winters and of the seasonal median. */
    private double holtWintersScore;
    private double seasonalMedianScore;
    private final float[] errors;
    private long scored;
    /** Forecast of the next 24 hours' total, made at the latest window. */
    private double dailyTotal;
    /** 24-hour total forecasts made a day before, by slot of the window they were made at. */
    private final float[] pendingTotals;
    /**
     * Scored residuals of the 24-hour total forecasts, log((actual + 1) / (forecast + 1)), same ring as
     * {@link #errors}: their absolute values are the conformal scores of the total's interval.
     */
    private final float[] totalResiduals;
    /** The 24-hour total's interval as made a day before, by slot: scoring it tells a miss from a cover. */
    private final float[] pendingTotalLower;
    private final float[] pendingTotalUpper;
    /** The miscoverage level the total's conformal interval uses now, adapted to this key's misses. */
    private double totalMiscoverage;

    private TokenForecaster(ForecastSettings settings) {
        this.settings = settings;
        this.period = settings.windowsPerDay();
        this.week = 7 * period;
        this.meanOnlyWindows = Math.min(MEAN_ONLY_WINDOWS, period);
        this.season = new double[period];
        this.activity = new float[period];
        this.weekActuals = new float[week];
        this.pending = new float[period];
        this.pendingHoltWinters = new float[period];
        this.errors = new float[settings.errorHistory()];
        this.pendingTotals = new float[period];
        this.pendingTotalLower = new float[period];
        this.pendingTotalUpper = new float[period];
        this.totalResiduals = new float[settings.errorHistory()];
        this.totalMiscoverage = 1 - settings.intervalCoverage();
    }

    public static TokenForecaster create(ForecastSettings settings) {
        return new TokenForecaster(settings);
    }

    public ForecastSettings settings() {
        return settings;
    }

    /** Feeds one closed window; returns false (and changes nothing) if it is not after the last one seen. */
    public boolean observe(long windowStartMs, long promptTokens, long completionTokens) {
        long index = Math.floorDiv(windowStartMs, settings.window().toMillis());
        if (observed > 0 && index <= lastIndex) {
            return false;
        }
        if (observed == 0) {
            scoringFrom = index + period;
        } else {
            long firstMissing = Math.max(lastIndex + 1, index - week);
            if (firstMissing > lastIndex + 1) {
                scoringFrom = firstMissing + period;
            }
            for (long missing = firstMissing; missing < index; missing++) {
                step(missing, 0);
            }
        }
        long total = promptTokens + completionTokens;
        if (total > 0) {
            promptShare += settings.activityRate() * ((double) promptTokens / total - promptShare);
        }
        step(index, total);
        return true;
    }

    private void step(long index, double y) {
        int slot = slot(index);
        scorePendingForecast(index, slot, y);
        if (observed < meanOnlyWindows) {
            scale += (Math.abs(y - level) - scale) / (observed + 1);
            level += (y - level) / (observed + 1);
        } else {
            if (observed == period) {
                seedSeasonFromTheFirstDay();
            }
            smooth(index, slot, y);
        }
        weekActuals[weekPosition(index)] = (float) y;
        lastIndex = index;
        observed++;
        int next = slot(index + period);
        pendingHoltWinters[next] = (float) holtWintersForecast(period);
        pending[next] = (float) forecast(period);
        updateDailyTotal(index);
    }

    private void scorePendingForecast(long index, int slot, double y) {
        if (index >= scoringFrom) {
            int at = (int) (scored % errors.length);
            errors[at] = (float) (y - pending[slot]);
            double actualTotal = lastDayTotal(index, y);
            totalResiduals[at] = (float) Math.log((actualTotal + 1) / (pendingTotals[slot] + 1));
            boolean missed = actualTotal < pendingTotalLower[slot] || actualTotal > pendingTotalUpper[slot];
            // capped at 1, where the interval is the point already: a steady key covered every time would
            // otherwise pile up a level that takes days of misses to come back from. Below 0 it is not floored,
            // as adaptive conformal inference prescribes: the interval stays at its widest (the largest recent
            // score) until the misses are made up for, which keeps the long-run coverage
            totalMiscoverage = Math.min(1, totalMiscoverage
                    + ADAPTATION_RATE * ((1 - settings.intervalCoverage()) - (missed ? 1 : 0)));
            scored++;
            if (seasonalMedianDefined()) {
                // both methods' forecasts of this window as made one day before it (the week ring still holds
                // the window a week before this one)
                double decay = 1 - SELECTION_RATE;
                holtWintersScore = decay * holtWintersScore + Math.abs(y - pendingHoltWinters[slot]);
                seasonalMedianScore = decay * seasonalMedianScore + Math.abs(y - seasonalMedian(index));
            }
        }
    }

    /**
     * Median of the same window 1, 2 and 7 days before window {@code target}, which must be at most one day after
     * the last window. A day not seen yet counts as 0, so before a week it is the lower of the last two days.
     */
    private double seasonalMedian(long target) {
        double a = weekActuals[weekPosition(target - period)];
        double b = weekActuals[weekPosition(target - 2L * period)];
        double c = weekActuals[weekPosition(target - week)];
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    private boolean seasonalMedianDefined() {
        return observed >= 2L * period;
    }

    /** The seasonal median is published once its smoothed 24-hour-ahead errors are below Holt-Winters'. */
    private boolean seasonalMedianSelected() {
        return seasonalMedianDefined() && seasonalMedianScore < holtWintersScore;
    }

    private int weekPosition(long index) {
        return (int) Math.floorMod(index, (long) week);
    }

    /** Actual of the latest observed window of {@code slot} (the last day of actuals, by slot). */
    private float lastDayActual(int slot) {
        return weekActuals[weekPosition(lastIndex - Math.floorMod(slot(lastIndex) - slot, period))];
    }

    /** Total of the 24 hours ending with the stored window {@code index} (at most two days back). */
    private double rollingDayTotal(long index) {
        return lastDayTotal(index, weekActuals[weekPosition(index)]);
    }

    /** Total of the 24 hours ending with window {@code index} (not yet stored), whose actual is {@code y}. */
    private double lastDayTotal(long index, double y) {
        int slot = slot(index);
        double total = y;
        // slot s's window of that day is (s - slot) mod period windows after index - period: its place in the week
        // ring is found by adding, not by two floorMods per window (this runs several times per update)
        int dayStart = weekPosition(index - period);
        for (int s = 0; s < period; s++) {
            if (s != slot) {
                int at = dayStart + (s >= slot ? s - slot : s - slot + period);
                total += weekActuals[at >= week ? at - week : at];
            }
        }
        return total;
    }

    /**
     * The next 24 hours' total = min(last 24 hours, median of the last {@value #DAILY_TOTALS} rolling daily
     * totals). Daily totals jump ×2–×10 from day to day and bursts rarely repeat, so a WAPE-minded (L1) forecast of
     * a sum leans low: the median ignores a burst of yesterday or of the day before (a mean is pulled up by it), the
     * min keeps a drop of yesterday. Before a whole day has been seen: the sum of the per-window forecasts. The
     * interval made with it is kept by slot, to be scored a day later.
     */
    private void updateDailyTotal(long index) {
        int slot = slot(index);
        double last = rollingDayTotal(index);
        int days = (int) Math.min(DAILY_TOTALS, observed / period);
        if (days == 0) {
            dailyTotal = sumOfForecasts(period);
        } else {
            double[] totals = new double[days];
            totals[0] = last;
            for (int d = 1; d < days; d++) {
                // the rolling total as it was d days ago, from the same actuals in the same order (stored as a float)
                totals[d] = (float) rollingDayTotal(index - (long) d * period);
            }
            Arrays.sort(totals);
            double median = days % 2 == 1 ? totals[days / 2] : (totals[days / 2 - 1] + totals[days / 2]) / 2;
            dailyTotal = Math.min(last, median);
        }
        pendingTotals[slot] = (float) dailyTotal;
        Interval interval = forecastTotal(period);
        pendingTotalLower[slot] = (float) interval.lower();
        pendingTotalUpper[slot] = (float) interval.upper();
    }

    private void seedSeasonFromTheFirstDay() {
        double[] day = new double[period];
        for (int s = 0; s < period; s++) {
            day[s] = lastDayActual(s);
        }
        double bound = FIRST_DAY_BURST_FACTOR * medianOfActive(day);
        double mean = 0;
        for (int s = 0; s < period; s++) {
            day[s] = Math.min(day[s], bound);
            mean += day[s];
        }
        mean /= period;
        double deviation = 0;
        for (int s = 0; s < period; s++) {
            season[s] = day[s] - mean;
            activity[s] = day[s] > 0 ? 1 : 0;
            deviation += Math.abs(season[s]);
        }
        level = mean;
        trend = 0;
        scale = Math.max(scale, deviation / period);
    }

    /** The median of the windows with tokens; infinite when none has any (nothing to bound). */
    private static double medianOfActive(double[] windows) {
        double[] active = Arrays.stream(windows).filter(y -> y > 0).toArray();
        return active.length == 0 ? Double.POSITIVE_INFINITY : ForecastAccuracy.quantile(active, 0.5);
    }

    private void smooth(long index, int slot, double y) {
        boolean seasonal = observed >= period;
        int dow = dayOfWeek(index);
        double oneStep = level + trend + (seasonal ? season[slot] + dayOfWeek[dow] : 0);
        double bound = settings.huberK() * Math.max(scale, 1);
        double error = Math.max(-bound, Math.min(bound, y - oneStep));
        scale += settings.scaleRate() * (Math.abs(error) - scale);
        double previousLevel = level;
        level += trend + settings.alpha() * error;
        trend = settings.phi() * (trend + settings.beta() * (level - previousLevel - trend));
        if (seasonal) {
            activity[slot] += (float) (settings.activityRate() * ((y > 0 ? 1 : 0) - activity[slot]));
            double seasonalError = (1 - settings.alpha()) * error;
            season[slot] += settings.gamma() * seasonalError;
            dayResidualSum += seasonalError;
            if (slot == period - 1) {
                dayOfWeek[dow] += settings.weeklyGamma() * dayResidualSum / period;
                dayResidualSum = 0;
            }
        }
    }

    /**
     * Point forecast of the window {@code stepsAhead} windows after the last observed one (≥ 0 tokens): within the
     * next day, the seasonal median if its recent 24-hour-ahead errors are lower than Holt-Winters', otherwise
     * (and beyond one day) Holt-Winters.
     */
    public double forecast(int stepsAhead) {
        if (stepsAhead <= period && seasonalMedianSelected()) {
            return seasonalMedian(lastIndex + stepsAhead);
        }
        return holtWintersForecast(stepsAhead);
    }

    private double holtWintersForecast(int stepsAhead) {
        if (observed == 0) {
            return 0;
        }
        if (observed < meanOnlyWindows) {
            return Math.max(0, level);
        }
        double phi = settings.phi();
        double damped = phi == 1 ? stepsAhead : phi * (1 - Math.pow(phi, stepsAhead)) / (1 - phi);
        double value = level + trend * damped;
        if (observed >= period) {
            long target = lastIndex + stepsAhead;
            int slot = slot(target);
            if (activity[slot] < 0.5f) {
                return 0;
            }
            value += season[slot] + dayOfWeek[dayOfWeek(target)];
        }
        return Math.max(0, value);
    }

    /** Prediction interval of the window {@code stepsAhead} ahead, at the configured coverage. */
    public Interval interval(int stepsAhead) {
        return sumInterval(forecast(stepsAhead), 1, scoredErrors());
    }

    /**
     * Point forecast and interval of the total of the next {@code windows} windows: for the next 24 hours, once a
     * whole day has been seen, from the past daily totals and the quantiles of their scored errors; otherwise the
     * sum of the per-window forecasts.
     */
    public Interval forecastTotal(int windows) {
        return forecastTotals(new int[]{windows})[0];
    }

    /**
     * {@link #forecastTotal(int)} of each of {@code windows}, computed together: the per-window forecasts are
     * summed once up to the longest.
     */
    public Interval[] forecastTotals(int[] windows) {
        // the per-window sums and the scored errors only when a horizon needs them: the next 24 hours alone (every
        // update's own total, the app's published forecast) usually needs neither
        double[] sums = null;
        ScoredErrors errors = null;
        Interval[] totals = new Interval[windows.length];
        for (int i = 0; i < windows.length; i++) {
            if (windows[i] == period && observed >= period) {
                totals[i] = dailyTotalInterval();
            } else {
                if (sums == null) {
                    sums = cumulativeForecasts(Arrays.stream(windows).max().orElse(0));
                    errors = scoredErrors();
                }
                totals[i] = sumInterval(sums[windows[i]], windows[i], errors);
            }
        }
        return totals;
    }

    private double sumOfForecasts(int windows) {
        return cumulativeForecasts(windows)[windows];
    }

    /** {@code [n]} = the sum of the forecasts of the next n windows. */
    private double[] cumulativeForecasts(int windows) {
        double[] sums = new double[windows + 1];
        for (int h = 1; h <= windows; h++) {
            sums[h] = sums[h - 1] + forecast(h);
        }
        return sums;
    }

    /**
     * The interval of a sum of n windows comes from the recent one-day-ahead errors summed over n consecutive
     * windows, which keeps their autocorrelation; with too few errors for that, from the per-window error
     * quantiles widened by √n (as if independent); with no scored error yet, from the model's error scale.
     */
    private Interval sumInterval(double point, int windows, ScoredErrors errors) {
        double tail = errors.tail;
        double[] errorSums = errors.sums;
        int count = errorSums.length - 1;
        double low;
        double high;
        if (count >= windows + MIN_ERRORS_FOR_QUANTILES - 1) {
            double[] tails = errors.rollingSumTails(windows);
            low = tails[0];
            high = tails[1];
        } else if (count >= MIN_ERRORS_FOR_QUANTILES) {
            double widen = Math.sqrt(windows);
            low = errors.singleTails()[0] * widen;
            high = errors.singleTails()[1] * widen;
        } else {
            double spread = StandardNormal.quantile(1 - tail) * MAE_TO_SIGMA * scale * Math.sqrt(windows);
            low = -spread;
            high = spread;
        }
        return new Interval(point, Math.max(0, point + low), Math.max(0, point + high));
    }

    /**
     * The 24-hour total's interval: split conformal on this key's own recent residuals. The scores are the absolute
     * log ratios of the last week of scored totals, so the interval is multiplicative, (total + 1) × e^±q − 1:
     * a daily total moves by factors, and an interval in tokens learned at one level would be wrong after a jump.
     * q is the ⌈(n + 1)(1 − α)⌉-th smallest of the n scores, the conformal quantile; α starts at the nominal
     * miscoverage and adapts to the key's own misses ({@link #ADAPTATION_RATE}), because the week's scores
     * overlap (about seven independent days) and drift with the key's level shifts, so a fixed level
     * under-covers. Before {@value #MIN_ERRORS_FOR_QUANTILES} scores: the per-window errors' interval.
     */
    private Interval dailyTotalInterval() {
        int count = (int) Math.min(scored, totalResiduals.length);
        if (count < MIN_ERRORS_FOR_QUANTILES) {
            return sumInterval(dailyTotal, period, scoredErrors());
        }
        double[] scores = new double[count];
        for (int i = 0; i < count; i++) {
            scores[i] = Math.abs(totalResiduals[i]);
        }
        int rank = (int) Math.ceil((count + 1) * (1 - totalMiscoverage));
        double q = rank < 1 ? 0 : ForecastAccuracy.kthSmallest(scores, Math.min(count, rank) - 1);
        return new Interval(dailyTotal, Math.max(0, (dailyTotal + 1) * Math.exp(-q) - 1),
                (dailyTotal + 1) * Math.exp(q) - 1);
    }

    private ScoredErrors scoredErrors() {
        return new ScoredErrors(cumulativeErrors(), (1 - settings.intervalCoverage()) / 2);
    }

    /** {@code [i]} = the sum of the {@code i} oldest of the recent scored errors (at most a ring of them), oldest first. */
    private double[] cumulativeErrors() {
        int count = (int) Math.min(scored, errors.length);
        double[] sums = new double[count + 1];
        int at = (int) ((scored - count) % errors.length);
        for (int i = 0; i < count; i++) {
            sums[i + 1] = sums[i] + errors[at];
            at = at + 1 == errors.length ? 0 : at + 1;
        }
        return sums;
    }

    /**
     * The recent scored errors as {@link #cumulativeErrors()}, and the quantiles of single errors, which every
     * horizon longer than the rolling sums reach shares: selected once for a whole table of horizons.
     */
    private static final class ScoredErrors {
        final double[] sums;
        /** The share of errors below the interval, and above it: half the miscoverage. */
        final double tail;
        private double[] singleTails;
        private double[] scratch;

        ScoredErrors(double[] sums, double tail) {
            this.sums = sums;
            this.tail = tail;
        }

        /** The lower and upper tail quantiles of the single errors. */
        double[] singleTails() {
            if (singleTails == null) {
                singleTails = rollingSumTails(1);
            }
            return singleTails;
        }

        /**
         * The lower and upper tail quantiles of the sums of {@code n} consecutive errors, selected in a buffer
         * reused across a table's horizons (one per horizon would allocate a megabyte per table).
         */
        double[] rollingSumTails(int n) {
            if (scratch == null) {
                scratch = new double[sums.length];
            }
            int count = sums.length - n;
            for (int i = 0; i < count; i++) {
                scratch[i] = sums[i + n] - sums[i];
            }
            return ForecastAccuracy.quantilesInPlace(scratch, count, tail, 1 - tail);
        }
    }

    /**
     * WAPE of the one-day-ahead forecasts over the last day of scored windows (Σ|error| / Σ actual); empty until
     * one has been scored or while those windows had no tokens at all.
     */
    public OptionalDouble recentWape() {
        int count = (int) Math.min(scored, period);
        double absoluteErrors = 0;
        double actuals = 0;
        for (int i = 1; i <= count; i++) {
            absoluteErrors += Math.abs(errors[(int) ((scored - i) % errors.length)]);
            actuals += weekActuals[weekPosition(lastIndex - i + 1)];
        }
        return count == 0 || actuals == 0 ? OptionalDouble.empty() : OptionalDouble.of(absoluteErrors / actuals);
    }

    /** Share of prompt tokens in this key's recent traffic, to price a total-token forecast. */
    public double promptShare() {
        return promptShare;
    }

    public String method() {
        if (observed < meanOnlyWindows) {
            return "mean";
        }
        if (observed < period) {
            return "holt";
        }
        if (seasonalMedianSelected()) {
            return "seasonal-median";
        }
        return observed < 8L * period ? "holt-winters" : "holt-winters-weekly";
    }

    /** Start (epoch ms) of the last window fed, or empty before the first. */
    public OptionalLong lastWindowStartMs() {
        return observed == 0 ? OptionalLong.empty() : OptionalLong.of(lastIndex * settings.window().toMillis());
    }

    /** The miscoverage level the 24-hour total's interval uses now (nominal: 1 − coverage). */
    double totalMiscoverage() {
        return totalMiscoverage;
    }

    public Duration window() {
        return settings.window();
    }

    private int slot(long index) {
        return (int) Math.floorMod(index, (long) period);
    }

    private int dayOfWeek(long index) {
        return (int) Math.floorMod(Math.floorDiv(index, (long) period), 7L);
    }

    /** A point forecast with its prediction interval. */
    public record Interval(double forecast, double lower, double upper) {
    }

    /**
     * Binary state, big-endian, version 4: int magic "SOMF", byte version, the settings (long window ms,
     * 9 doubles alpha..intervalCoverage in record order, int errorHistory), long lastIndex, long observed,
     * long scoringFrom, long scored, 9 doubles (level, trend, scale, promptShare, dayResidualSum, dailyTotal,
     * holtWintersScore, seasonalMedianScore, totalMiscoverage), 7 doubles day-of-week, then per day-slot: double
     * season, float activity, float pending, float pendingHoltWinters, float pendingTotal, float pendingTotalLower,
     * float pendingTotalUpper; then errorHistory floats of errors, errorHistory floats of total residuals (log
     * ratios) and 7 × slots floats of the last week's actuals (the past rolling daily totals are recomputed from
     * them). Versions 1 (no daily totals), 2 (no week of actuals) and 3 (total errors in tokens, no adaptive
     * level) are rejected: rebuild the state.
     */
    public byte[] toBytes() {
        // a ByteBuffer writes the same big-endian layout as a DataOutputStream, without a call per byte
        ByteBuffer out = ByteBuffer.allocate(stateBytes(settings));
        out.putInt(MAGIC);
        out.put((byte) FORMAT_VERSION);
        out.putLong(settings.window().toMillis());
        for (double p : new double[]{settings.alpha(), settings.beta(), settings.phi(), settings.gamma(),
                settings.weeklyGamma(), settings.huberK(), settings.scaleRate(), settings.activityRate(),
                settings.intervalCoverage()}) {
            out.putDouble(p);
        }
        out.putInt(settings.errorHistory());
        out.putLong(lastIndex);
        out.putLong(observed);
        out.putLong(scoringFrom);
        out.putLong(scored);
        for (double v : new double[]{level, trend, scale, promptShare, dayResidualSum, dailyTotal,
                holtWintersScore, seasonalMedianScore, totalMiscoverage}) {
            out.putDouble(v);
        }
        for (double v : dayOfWeek) {
            out.putDouble(v);
        }
        for (int s = 0; s < period; s++) {
            out.putDouble(season[s]);
            out.putFloat(activity[s]);
            out.putFloat(pending[s]);
            out.putFloat(pendingHoltWinters[s]);
            out.putFloat(pendingTotals[s]);
            out.putFloat(pendingTotalLower[s]);
            out.putFloat(pendingTotalUpper[s]);
        }
        for (float[] floats : new float[][]{errors, totalResiduals, weekActuals}) {
            out.asFloatBuffer().put(floats);
            out.position(out.position() + floats.length * Float.BYTES);
        }
        return out.array();
    }

    /** The size of {@link #toBytes()} for these settings: constant, whatever the history (249 + 116 × windows a day). */
    public static int stateBytes(ForecastSettings settings) {
        int slots = settings.windowsPerDay();
        return 4 + 1 + 8 + 9 * 8 + 4 + 4 * 8 + 9 * 8 + 7 * 8 + slots * 32
                + (2 * settings.errorHistory() + 7 * slots) * Float.BYTES;
    }

    public static TokenForecaster fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.getInt() != MAGIC) {
                throw new IllegalArgumentException("not a token forecaster state");
            }
            int version = Byte.toUnsignedInt(in.get());
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException("unsupported token forecaster state version " + version
                        + " (expected " + FORMAT_VERSION + "; version 1 has no daily totals, version 2 no week of"
                        + " actuals, version 3 no conformal scores of its daily totals: rebuild the state)");
            }
            Duration window = Duration.ofMillis(in.getLong());
            double[] p = new double[9];
            for (int i = 0; i < p.length; i++) {
                p[i] = in.getDouble();
            }
            int errorHistory = in.getInt();
            TokenForecaster f = new TokenForecaster(new ForecastSettings(window, p[0], p[1], p[2], p[3], p[4], p[5],
                    p[6], p[7], errorHistory, p[8]));
            f.lastIndex = in.getLong();
            f.observed = in.getLong();
            f.scoringFrom = in.getLong();
            f.scored = in.getLong();
            f.level = in.getDouble();
            f.trend = in.getDouble();
            f.scale = in.getDouble();
            f.promptShare = in.getDouble();
            f.dayResidualSum = in.getDouble();
            f.dailyTotal = in.getDouble();
            f.holtWintersScore = in.getDouble();
            f.seasonalMedianScore = in.getDouble();
            f.totalMiscoverage = in.getDouble();
            for (int d = 0; d < 7; d++) {
                f.dayOfWeek[d] = in.getDouble();
            }
            for (int s = 0; s < f.period; s++) {
                f.season[s] = in.getDouble();
                f.activity[s] = in.getFloat();
                f.pending[s] = in.getFloat();
                f.pendingHoltWinters[s] = in.getFloat();
                f.pendingTotals[s] = in.getFloat();
                f.pendingTotalLower[s] = in.getFloat();
                f.pendingTotalUpper[s] = in.getFloat();
            }
            for (float[] floats : new float[][]{f.errors, f.totalResiduals, f.weekActuals}) {
                in.asFloatBuffer().get(floats);
                in.position(in.position() + floats.length * Float.BYTES);
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("token forecaster state has " + in.remaining() + " bytes too many");
            }
            return f;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated token forecaster state", e);
        }
    }
}
