package io.soma.streams.topologies.forecast;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** A capsule's bounded usage, fed with a real ServeGen tenant's 10-minute windows as if one capsule made them. */
class CapsuleUsageTest {
    private static final long WINDOW_MS = Duration.ofMinutes(10).toMillis();
    private static final PriceTable.Price PRICE = PriceTable.defaults().priceOf("openai", "gpt-4o").orElseThrow();

    @Test
    void shouldSumTheLastDayAndWeekAsOfTheNewestWindowAndKeepNoOlderWindow() {
        List<ConversationEvent> windows = realWindows();
        CapsuleUsage usage = CapsuleUsage.empty();
        windows.forEach(e -> add(usage, e));
        long asOf = windows.get(windows.size() - 1).getTimestamp().toEpochMilli() + WINDOW_MS;

        assertThat(usage.asOf()).hasValue(asOf);
        assertTotals(usage.last(Duration.ofHours(24)), windows, asOf - Duration.ofHours(24).toMillis());
        assertTotals(usage.last(CapsuleUsage.RETAINED), windows, asOf - CapsuleUsage.RETAINED.toMillis());
        // the trace is longer than a week: the state holds a week of 10-minute windows at most
        assertThat(windows.get(0).getTimestamp().toEpochMilli()).isLessThan(asOf - CapsuleUsage.RETAINED.toMillis());
        assertThat(usage.windowsHeld()).isPositive()
                .isLessThanOrEqualTo((int) (CapsuleUsage.RETAINED.toMillis() / WINDOW_MS));
    }

    @Test
    void shouldAddTwoModelsOfOneWindowStartIntoOneWindow() {
        ConversationEvent first = realWindows().get(0);
        CapsuleUsage usage = CapsuleUsage.empty();
        add(usage, first);
        add(usage, first);

        assertThat(usage.windowsHeld()).isEqualTo(1);
        assertThat(usage.last(Duration.ofHours(24)).totalTokens())
                .isEqualTo(2L * (first.getPromptTokens() + first.getCompletionTokens()));
    }

    @Test
    void shouldRoundTripThroughBytesWithEachModelsForecast() {
        List<ConversationEvent> windows = realWindows();
        CapsuleUsage usage = CapsuleUsage.empty();
        TokenForecaster forecaster = TokenForecaster.create(ForecastSettings.defaults());
        windows.forEach(e -> {
            add(usage, e);
            forecaster.observe(e.getTimestamp().toEpochMilli(), e.getPromptTokens(), e.getCompletionTokens());
        });
        usage.forecast("openai", "gpt-4o", ForecastResult.of(forecaster, 24, PriceTable.defaults(), "openai", "gpt-4o"));

        CapsuleUsage read = CapsuleUsage.fromBytes(usage.toBytes());

        assertThat(read).isEqualTo(usage);
        assertThat(read.forecasts()).singleElement().satisfies(f -> assertThat(f.forecast().lower())
                .isLessThanOrEqualTo(f.forecast().estimatedTokens()));
    }

    @Test
    void shouldKeepTheForecastsOfTheMostRecentModelsOnly() {
        CapsuleUsage usage = CapsuleUsage.empty();
        Instant start = Instant.parse("2025-01-02T00:00:00Z");
        // a model of its own every window: without a bound, the state would outgrow one Kafka record
        for (int i = 0; i < CapsuleUsage.MAX_MODELS + 50; i++) {
            long end = start.toEpochMilli() + WINDOW_MS * (i + 1);
            usage.add(end - WINDOW_MS, end, CapsuleUsage.Totals.NONE);
            usage.forecast("openai", "model-" + i, forecastAt(Instant.ofEpochMilli(end)));
        }
        assertThat(usage.forecasts()).hasSize(CapsuleUsage.MAX_MODELS)
                .extracting(CapsuleUsage.ModelForecast::model).doesNotContain("model-49").contains("model-50", "model-249");

        // nine days on, only the model still used keeps a forecast
        long later = start.plus(Duration.ofDays(9)).toEpochMilli();
        usage.add(later - WINDOW_MS, later, CapsuleUsage.Totals.NONE);
        usage.forecast("openai", "still-used", forecastAt(Instant.ofEpochMilli(later)));
        assertThat(usage.forecasts()).extracting(CapsuleUsage.ModelForecast::model).containsExactly("still-used");
    }

    /** A forecast made at {@code at}; only its time matters here. */
    private static ForecastResult forecastAt(Instant at) {
        return new ForecastResult(at, 24, 100, 50, 150, 0.01, 0.8, "seasonal", OptionalDouble.empty());
    }

    @Test
    void shouldRefuseASpanLongerThanItKeeps() {
        assertThatThrownBy(() -> CapsuleUsage.empty().last(Duration.ofDays(8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(CapsuleUsage.empty().last(Duration.ofDays(1)).requests()).isZero();
    }

    /** Nine days of one real ServeGen tenant's windows, oldest first. */
    private static List<ConversationEvent> realWindows() {
        List<ConversationEvent> events = ServeGenEvents.read(
                TestPaths.dataDir().resolve("servegen-language/servegen_m-large.csv"), List.of("m-large-0"), "");
        long end = ServeGenEvents.EPOCH.plus(Duration.ofDays(9)).toEpochMilli();
        return events.stream().filter(e -> e.getTimestamp().toEpochMilli() < end).toList();
    }

    private static void add(CapsuleUsage usage, ConversationEvent e) {
        long start = e.getTimestamp().toEpochMilli();
        usage.add(start, start + WINDOW_MS, new CapsuleUsage.Totals(e.getPromptTokens(), e.getCompletionTokens(), 1,
                PRICE.cost(e.getPromptTokens(), e.getCompletionTokens())));
    }

    /** The totals equal an independent sum over the windows starting at or after {@code from}. */
    private static void assertTotals(CapsuleUsage.Totals totals, List<ConversationEvent> windows, long from) {
        List<ConversationEvent> in = windows.stream().filter(e -> e.getTimestamp().toEpochMilli() >= from).toList();
        long prompt = in.stream().mapToLong(ConversationEvent::getPromptTokens).sum();
        long completion = in.stream().mapToLong(ConversationEvent::getCompletionTokens).sum();
        assertThat(totals.promptTokens()).isEqualTo(prompt);
        assertThat(totals.completionTokens()).isEqualTo(completion);
        assertThat(totals.requests()).isEqualTo(in.size());
        assertThat(totals.costUsd()).isCloseTo(PRICE.cost(prompt, completion), within(1e-9 * (1 + totals.costUsd())));
    }
}
