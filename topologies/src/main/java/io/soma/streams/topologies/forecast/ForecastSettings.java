package io.soma.streams.topologies.forecast;

import java.time.Duration;

/**
 * Tuning of {@link TokenForecaster}. The defaults were chosen on the ServeGen m-large trace (training days 1–12
 * only; see docs/forecasting.md): daily profiles there change a lot from one day to the next, so the season
 * adapts fast (gamma 0.8) while the level moves slowly and errors are Huber-clipped so one burst does not
 * poison the profile.
 *
 * @param window          length of one closed window; a day must hold a whole number of them
 * @param alpha           level smoothing
 * @param beta            trend smoothing (0 = no trend)
 * @param phi             trend damping per window, so a 144-step forecast never extrapolates a trend far
 * @param gamma           daily-season smoothing
 * @param weeklyGamma     smoothing of the day-of-week offsets (learned from each day's mean residual)
 * @param huberK          errors beyond huberK × scale are clipped before any update
 * @param scaleRate       smoothing of the robust error scale
 * @param activityRate    smoothing of the per-slot probability that the window has any traffic
 * @param errorHistory    how many scored 24-hour-ahead errors the intervals are drawn from
 * @param intervalCoverage nominal coverage of the prediction intervals (0.8 = 10 % and 90 % quantiles)
 */
public record ForecastSettings(Duration window, double alpha, double beta, double phi, double gamma,
                               double weeklyGamma, double huberK, double scaleRate, double activityRate,
                               int errorHistory, double intervalCoverage) {

    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);

    public ForecastSettings {
        if (window.isZero() || window.isNegative() || Duration.ofDays(1).toMillis() % window.toMillis() != 0) {
            throw new IllegalArgumentException("a day must hold a whole number of windows, not " + window);
        }
        if (errorHistory < 2 || intervalCoverage <= 0 || intervalCoverage >= 1) {
            throw new IllegalArgumentException("errorHistory >= 2 and 0 < intervalCoverage < 1 required");
        }
    }

    public static ForecastSettings defaults() {
        return of(DEFAULT_WINDOW);
    }

    public static ForecastSettings of(Duration window) {
        int windowsPerDay = (int) (Duration.ofDays(1).toMillis() / window.toMillis());
        return new ForecastSettings(window, 0.02, 0.01, 0.98, 0.8, 0.3, 4.0, 0.02, 0.2, 7 * windowsPerDay, 0.8);
    }

    public int windowsPerDay() {
        return (int) (Duration.ofDays(1).toMillis() / window.toMillis());
    }
}
