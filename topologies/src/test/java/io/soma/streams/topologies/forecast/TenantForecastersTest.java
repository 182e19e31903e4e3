package io.soma.streams.topologies.forecast;

import io.soma.streams.avro.ConversationEvent;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TenantForecastersTest {

    @Test
    void shouldRoundTripEveryModelOfATenantThroughItsSerde() {
        List<ConversationEvent> events = ServeGenEvents.read(TokenForecasterTest.servegen(), List.of("m-large-0"), "");
        TokenForecaster first = TokenForecaster.create(ForecastSettings.defaults());
        TokenForecaster second = TokenForecaster.create(ForecastSettings.defaults());
        events.stream().limit(300).forEach(e ->
                first.observe(e.getTimestamp().toEpochMilli(), e.getPromptTokens(), e.getCompletionTokens()));
        events.stream().skip(300).limit(50).forEach(e ->
                second.observe(e.getTimestamp().toEpochMilli(), e.getPromptTokens(), e.getCompletionTokens()));
        var unknown = new TenantForecasters.ModelKey(TenantForecasters.UNKNOWN, TenantForecasters.UNKNOWN);
        var local = new TenantForecasters.ModelKey("local", "llama-3-8b");
        TenantForecasters tenant = new TenantForecasters("m-large-0", Map.of(unknown, first, local, second));

        var serde = TenantForecasters.serde();
        TenantForecasters back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", tenant));

        assertThat(back.tenant()).isEqualTo("m-large-0");
        assertThat(back.models()).containsOnlyKeys(local, unknown);
        assertThat(back.models().get(unknown).toBytes()).isEqualTo(first.toBytes());
        assertThat(back.models().get(local).toBytes()).isEqualTo(second.toBytes());
    }

    @Test
    void shouldMapEachServeGenWindowWithRequestsToOneEventAtItsStart() {
        List<ConversationEvent> events = ServeGenEvents.read(TokenForecasterTest.servegen(), List.of("m-large-0"), "p-");

        // the file's first rows: window 0 has 799 requests, window 600 none, window 1200 has 164
        assertThat(events.get(0).getTenant()).isEqualTo("p-m-large-0");
        assertThat(events.get(0).getTimestamp()).isEqualTo(ServeGenEvents.EPOCH);
        assertThat(events.get(0).getPromptTokens()).isEqualTo(341_598);
        assertThat(events.get(0).getCompletionTokens()).isEqualTo(117_827);
        assertThat(events.get(0).getMetadata()).containsEntry("servegen.requests", "799");
        assertThat(events.get(0).getProvider()).isNull();
        assertThat(events.get(1).getTimestamp()).isEqualTo(ServeGenEvents.EPOCH.plusSeconds(1200));
    }
}
