package io.soma.streams.topologies.forecast;

import io.soma.streams.avro.ConversationEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ServeGenEventsTest {

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
