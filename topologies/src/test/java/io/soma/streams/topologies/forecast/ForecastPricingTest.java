package io.soma.streams.topologies.forecast;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ForecastPricingTest {
    @Test
    void shouldPriceByModelThenByProvider() {
        PriceTable prices = PriceTable.defaults();
        assertThat(prices.priceOf("openai", "gpt-4o")).contains(new PriceTable.Price(0.0025, 0.01));
        // an unlisted model of a listed provider: the provider's dearest listed price, never an undercount
        assertThat(prices.priceOf("openai", "some-new-model")).contains(new PriceTable.Price(0.0025, 0.01));
        assertThat(prices.priceOf("local", "llama")).contains(new PriceTable.Price(0, 0));
        assertThat(prices.priceOf("mistral", "large")).isEmpty();
        assertThat(new PriceTable.Price(0.001, 0.002).cost(2000, 500)).isCloseTo(0.003, within(1e-12));
    }

    /** The ids APIs answer with carry a date or version: each is priced as the listed model it extends. */
    @Test
    void shouldPriceADatedModelIdAsTheListedModelItExtends() {
        PriceTable prices = PriceTable.defaults();
        PriceTable.Price mini = prices.priceOf("openai", "gpt-4o-mini").orElseThrow();
        PriceTable.Price sonnet = prices.priceOf("anthropic", "claude-3-5-sonnet").orElseThrow();
        assertThat(prices.priceOf("openai", "gpt-4o-2024-08-06")).contains(new PriceTable.Price(0.0025, 0.01));
        assertThat(prices.priceOf("openai", "gpt-4o-mini-2024-07-18")).contains(mini);
        assertThat(prices.priceOf("anthropic", "claude-3-5-sonnet-20241022")).contains(sonnet);
        assertThat(prices.priceOf("anthropic", "claude-3-5-sonnet-latest")).contains(sonnet);
        assertThat(prices.priceOf("anthropic", "claude-3-5-sonnet@20240620")).contains(sonnet);
        // only a date dates a model: gpt-4-32k is another model than gpt-4, as base-large is than base
        PriceTable acme = PriceTable.parse("acme/base=1:1");
        assertThat(acme.priceOf("acme", "base-large")).isEmpty();
        assertThat(acme.priceOf("acme", "base-32")).isEmpty();
        assertThat(acme.priceOf("acme", "base-20250101")).contains(new PriceTable.Price(1, 1));
    }

    /**
     * Budget scopes match provider and model whatever their case; the prices did not: GPT-4o-mini fell to the
     * provider's dearest price (16 times too much), and a provider written OpenAI or Local had no price at all.
     */
    @Test
    void shouldPriceAModelWhateverTheCaseOfItsIds() {
        PriceTable prices = PriceTable.defaults();
        assertThat(prices.priceOf("openai", "GPT-4o-mini")).isEqualTo(prices.priceOf("openai", "gpt-4o-mini"));
        assertThat(prices.priceOf("OpenAI", "gpt-4o-mini-2024-07-18")).isEqualTo(prices.priceOf("openai", "gpt-4o-mini"));
        assertThat(prices.priceOf("Anthropic", "Claude-3-5-Haiku-Latest"))
                .isEqualTo(prices.priceOf("anthropic", "claude-3-5-haiku"));
        assertThat(prices.priceOf("Local", "Llama-3-8B")).contains(new PriceTable.Price(0, 0));
        // an entry of the configuration, in whatever case, overrides the default of the same ids
        assertThat(PriceTable.parse("OpenAI/GPT-4o=0.005:0.015").priceOf("openai", "gpt-4o"))
                .contains(new PriceTable.Price(0.005, 0.015));
        assertThat(PriceTable.undated("Claude-3-5-Haiku-Latest")).isEqualTo("Claude-3-5-Haiku");
        PriceTable.Price any = new PriceTable.Price(1, 1);
        assertThatThrownBy(() -> PriceTable.of(Map.of("acme/base", any, "ACME/Base", any)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ only in case");
    }

    @Test
    void shouldRefuseAPriceThatIsNotAFiniteAmount() {
        assertThatThrownBy(() -> PriceTable.parse("openai/gpt-4o=NaN:0.01")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PriceTable.parse("openai/gpt-4o=0.1:Infinity"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PriceTable.parse("openai/gpt-4o=-1:0")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldOverrideDefaultsFromConfiguration() {
        PriceTable prices = PriceTable.parse("openai/gpt-4o=0.005:0.015, mistral/*=0.002:0.006");
        assertThat(prices.priceOf("openai", "gpt-4o")).contains(new PriceTable.Price(0.005, 0.015));
        assertThat(prices.priceOf("mistral", "large")).contains(new PriceTable.Price(0.002, 0.006));
        assertThat(prices.priceOf("anthropic", "claude-3-5-haiku")).contains(new PriceTable.Price(0.0008, 0.004));
        assertThatThrownBy(() -> PriceTable.parse("openai=1:2")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRefuseTwoPricesForOneModel() {
        assertThatThrownBy(() -> PriceTable.parse("openai/gpt-4o=0.005:0.015,OpenAI/GPT-4o=0.0025:0.01"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two prices for OpenAI/GPT-4o");
    }

    @Test
    void shouldForecastTokensCostAndConfidenceForTheNextHours() {
        TokenForecaster f = TokenForecaster.create(ForecastSettings.defaults());
        long windowMs = Duration.ofMinutes(10).toMillis();
        for (int w = 0; w < 3 * 144; w++) {
            f.observe(w * windowMs, 750, 250);
        }
        ForecastResult result = ForecastResult.of(f, 2, PriceTable.defaults(), "openai", "gpt-4o");
        assertThat(result.estimatedTokens()).isCloseTo(12 * 1000, within(12.0));
        assertThat(result.estimatedCostUsd()).isCloseTo((9000 * 0.0025 + 3000 * 0.01) / 1000, within(1e-4));
        assertThat(result.lower()).isLessThanOrEqualTo(result.estimatedTokens());
        assertThat(result.upper()).isGreaterThanOrEqualTo(result.estimatedTokens());
        assertThat(result.recentWape()).hasValueCloseTo(0.0, within(1e-3));
        assertThat(result.confidence()).isCloseTo(1, within(1e-3));
        assertThat(result.generatedAt()).isEqualTo(Instant.ofEpochMilli(3 * 144 * windowMs));
        assertThat(result.method()).isEqualTo("holt-winters");
        assertThat(result.horizonHours()).isEqualTo(2);
    }

    @Test
    void shouldHaveNoConfidenceBeforeAnythingWasMeasured() {
        TokenForecaster f = TokenForecaster.create(ForecastSettings.defaults());
        f.observe(0, 100, 100);
        ForecastResult result = ForecastResult.of(f, 24, PriceTable.defaults(), "local", "llama");
        assertThat(result.recentWape()).isEmpty();
        assertThat(result.confidence()).isZero();
        assertThat(result.estimatedCostUsd()).isZero();
        assertThat(result.method()).isEqualTo("mean");
    }
}
