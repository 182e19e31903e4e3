package io.soma.streams.topologies.forecast;

import java.time.Instant;
import java.util.Optional;
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
        return Common.of(forecaster, prices, provider, model)
                .result(horizonHours, forecaster.forecastTotal(windows(forecaster, horizonHours)));
    }

    /** The windows a horizon of {@code horizonHours} covers (the last one may end after it). */
    static int windows(TokenForecaster forecaster, int horizonHours) {
        return (int) Math.ceil(horizonHours * 3_600_000.0 / forecaster.window().toMillis());
    }

    /**
     * What a key's forecasts of every horizon share, read from its forecaster once for a whole
     * {@link ForecastTable} (its recent WAPE alone is a pass over a day of errors).
     */
    record Common(Instant generatedAt, double confidence, String method, OptionalDouble recentWape,
                  double promptShare, Optional<PriceTable.Price> price) {

        static Common of(TokenForecaster forecaster, PriceTable prices, String provider, String model) {
            long windowMs = forecaster.window().toMillis();
            OptionalDouble wape = forecaster.recentWape();
            double confidence = wape.isPresent() ? Math.max(0, Math.min(1, 1 - wape.getAsDouble())) : 0;
            Instant generatedAt = Instant.ofEpochMilli(forecaster.lastWindowStartMs().orElse(-windowMs) + windowMs);
            return new Common(generatedAt, confidence, forecaster.method(), wape, forecaster.promptShare(),
                    prices.priceOf(provider, model));
        }

        /** The result for {@code total}, the forecaster's {@link TokenForecaster#forecastTotal} of that horizon. */
        ForecastResult result(int horizonHours, TokenForecaster.Interval total) {
            double cost = price.map(p -> p.cost(total.forecast() * promptShare, total.forecast() * (1 - promptShare)))
                    .orElse(0.0);
            return new ForecastResult(generatedAt, horizonHours, total.forecast(), total.lower(), total.upper(), cost,
                    confidence, method, recentWape);
        }
    }
}
