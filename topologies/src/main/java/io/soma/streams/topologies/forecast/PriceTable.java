package io.soma.streams.topologies.forecast;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * USD prices per 1K prompt and completion tokens, by {@code provider/model}, with a per-provider fallback under
 * {@code provider/*}. A dated model id (the ids APIs answer with, such as {@code gpt-4o-2024-08-06},
 * {@code claude-3-5-sonnet-20241022}, {@code claude-3-5-sonnet@20240620} or {@code claude-3-5-sonnet-latest}) takes
 * the price of the listed model it dates. The defaults are the public list prices of well-known models (OpenAI
 * gpt-4o-mini and gpt-4o, Anthropic Claude 3.5 Haiku and Claude 3.5 Sonnet; a local model costs nothing), with an
 * unlisted model of those providers at the provider's dearest listed price rather than its cheapest (a model dearer
 * than every listed one is still undercounted: list the models in use); they are meant to be overridden from
 * configuration with {@link #parse(String)}.
 */
public final class PriceTable {
    private static final String ANY_MODEL = "*";
    /** A model's name, then a date or {@code latest} after a {@code -} or {@code @}: the ids APIs answer with. */
    private static final Pattern DATED = Pattern.compile("(.+?)[-@](?:\\d{4}-\\d{2}-\\d{2}|\\d{8}|latest)",
            Pattern.CASE_INSENSITIVE);

    public record Price(double promptPer1k, double completionPer1k) {
        public Price {
            if (!isAmount(promptPer1k) || !isAmount(completionPer1k)) {
                throw new IllegalArgumentException("prices must be finite and not negative, got " + promptPer1k
                        + ":" + completionPer1k);
            }
        }

        private static boolean isAmount(double perK) {
            return Double.isFinite(perK) && perK >= 0;
        }

        public double cost(double promptTokens, double completionTokens) {
            return (promptTokens * promptPer1k + completionTokens * completionPer1k) / 1000;
        }
    }

    private final Map<String, Price> prices;

    private PriceTable(Map<String, Price> prices) {
        // provider and model ids are matched whatever their case, as budget scopes match them
        Map<String, Price> byLowerCase = new LinkedHashMap<>();
        prices.forEach((key, price) -> {
            if (byLowerCase.put(key.toLowerCase(Locale.ROOT), price) != null) {
                throw new IllegalArgumentException("two prices for " + key + ", whose ids differ only in case");
            }
        });
        this.prices = Map.copyOf(byLowerCase);
    }

    public static PriceTable of(Map<String, Price> pricesByProviderSlashModel) {
        return new PriceTable(pricesByProviderSlashModel);
    }

    public static PriceTable defaults() {
        Map<String, Price> p = new LinkedHashMap<>();
        p.put("openai/gpt-4o-mini", new Price(0.00015, 0.0006));
        p.put("openai/gpt-4o", new Price(0.0025, 0.01));
        p.put("openai/*", new Price(0.0025, 0.01));
        p.put("anthropic/claude-3-5-haiku", new Price(0.0008, 0.004));
        p.put("anthropic/claude-3-5-sonnet", new Price(0.003, 0.015));
        p.put("anthropic/*", new Price(0.003, 0.015));
        p.put("local/*", new Price(0, 0));
        return new PriceTable(p);
    }

    /**
     * Parses {@code provider/model=prompt:completion} entries separated by commas (model may be {@code *}),
     * e.g. {@code openai/gpt-4o=0.0025:0.01,local/*=0:0}; entries override the defaults.
     */
    public static PriceTable parse(String spec) {
        Map<String, Price> p = new LinkedHashMap<>(defaults().prices);
        Set<String> listed = new HashSet<>();
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] keyAndPrices = entry.trim().split("=", 2);
            String[] perK = keyAndPrices.length == 2 ? keyAndPrices[1].split(":", 2) : new String[0];
            if (perK.length != 2 || !keyAndPrices[0].contains("/")) {
                throw new IllegalArgumentException("price entry must be provider/model=prompt:completion, got " + entry);
            }
            // lower-cased here so that an entry replaces the default of the same ids, whatever its case
            String ids = keyAndPrices[0].trim().toLowerCase(Locale.ROOT);
            if (!listed.add(ids)) {
                // the later one would win silently: which of two prices an operator meant is theirs to say
                throw new IllegalArgumentException("two prices for " + keyAndPrices[0].trim()
                        + " (ids are matched whatever their case): give one");
            }
            p.put(ids, new Price(Double.parseDouble(perK[0].trim()), Double.parseDouble(perK[1].trim())));
        }
        return new PriceTable(p);
    }

    /** The model a dated id dates ({@code gpt-4o-2024-08-06}: {@code gpt-4o}); any other id as it is. */
    public static String undated(String model) {
        Matcher dated = DATED.matcher(model);
        return dated.matches() ? dated.group(1) : model;
    }

    /** The price of {@code model} of {@code provider}, whatever the case of either ({@code OpenAI/GPT-4o}). */
    public Optional<Price> priceOf(String provider, String model) {
        return lowerCasePriceOf(provider == null ? null : provider.toLowerCase(Locale.ROOT),
                model == null ? null : model.toLowerCase(Locale.ROOT));
    }

    private Optional<Price> lowerCasePriceOf(String provider, String model) {
        Price exact = prices.get(provider + "/" + model);
        if (exact != null) {
            return Optional.of(exact);
        }
        // the dated id of a listed model: gpt-4o-2024-08-06 is gpt-4o, gpt-4o-mini-2024-07-18 is gpt-4o-mini
        String undated = model == null ? null : undated(model);
        Price listed = undated != null && !undated.equals(model) ? prices.get(provider + "/" + undated) : null;
        return Optional.ofNullable(listed != null ? listed : prices.get(provider + "/" + ANY_MODEL));
    }
}
