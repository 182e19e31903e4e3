package io.soma.streams.edge.sse;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A frame rendered once for every client is what Javalin's {@code SseClient.sendEvent} wrote for each of them. */
class SseFrameTest {

    @Test
    void shouldWriteObjectDataAsOneLineOfJson() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("event_id", "e-1");
        data.put("content", "two\nlines");
        data.put("metadata", Map.of("k", "v"));

        assertThat(frame(new SseSource.SseMessage("event", data, "t")))
                .isEqualTo("event: event\ndata: {\"event_id\":\"e-1\",\"content\":\"two\\nlines\",\"metadata\":{\"k\":\"v\"}}\n\n");
    }

    @Test
    void shouldWriteEachLineOfStringDataAsItsOwnDataLine() {
        assertThat(frame(new SseSource.SseMessage("message", "first\r\nsecond\nthird")))
                .isEqualTo("event: message\ndata: first\ndata: second\ndata: third\n\n");
        assertThat(frame(new SseSource.SseMessage("message", "é")))
                .isEqualTo("event: message\ndata: é\n\n");
    }

    private static String frame(SseSource.SseMessage message) {
        return new String(SseHub.frame(message), StandardCharsets.UTF_8);
    }
}
