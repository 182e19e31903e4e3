package io.soma.streams.topologies.forecast;

import java.time.Instant;
import java.util.OptionalDouble;

/**
 * The forecast of one key for its next {@code horizonHours}, as published in {@code TokenForecast}.
 * {@code confidence} is clamp(1 − recentWape, 0, 1): how much of the recent traffic the forecasts got right,
 * 0 while nothing has been measured yet. {@code estimatedCostUsd} is 0 when the price table knows neither the
 * model nor its provider.
 */
public record ForecastResult(Instant generatedAt, int horizonHours, double estimatedTokens, double lower,
                             double upper, double estimatedCostUsd, double confidence, String method,
                             OptionalDouble recentWape) {

    /** Forecast made when the last observed window closed (generatedAt = its end). */
    public static ForecastResult of(TokenForecaster forecaster, int horizonHours, PriceTable prices,
                                    String provider, String model) {
        return of(forecaster, horizonHours, forecaster.forecastTotal(windows(forecaster, horizonHours)), prices,
                provider, model);
    }

    /** The windows a horizon of {@code horizonHours} covers (the last one may end after it). */
    static int windows(TokenForecaster forecaster, int horizonHours) {
        return (int) Math.ceil(horizonHours * 3_600_000.0 / forecaster.window().toMillis());
    }

    /** The result for {@code total}, the forecaster's {@link TokenForecaster#forecastTotal} of that horizon. */
    static ForecastResult of(TokenForecaster forecaster, int horizonHours, TokenForecaster.Interval total,
                             PriceTable prices, String provider, String model) {
        long windowMs = forecaster.window().toMillis();
        double share = forecaster.promptShare();
        double cost = prices.priceOf(provider, model)
                .map(p -> p.cost(total.forecast() * share, total.forecast() * (1 - share)))
                .orElse(0.0);
        OptionalDouble wape = forecaster.recentWape();
        double confidence = wape.isPresent() ? Math.max(0, Math.min(1, 1 - wape.getAsDouble())) : 0;
        Instant generatedAt = Instant.ofEpochMilli(forecaster.lastWindowStartMs().orElse(-windowMs) + windowMs);
        return new ForecastResult(generatedAt, horizonHours, total.forecast(), total.lower(), total.upper(), cost,
                confidence, forecaster.method(), wape);
    }
}
