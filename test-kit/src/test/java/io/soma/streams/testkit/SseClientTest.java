package io.soma.streams.testkit;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The SSE parsing rules, on the text the edge writes. */
class SseClientTest {

    @Test
    void shouldDispatchEachEventAtTheBlankLineThatEndsIt() throws Exception {
        assertThat(parse("event: ready\ndata: {}\n\nid: 0-17\nevent: decision\ndata: {\"a\":1}\n\n"))
                .containsExactly(new SseClient.Event(null, "ready", "{}"),
                        new SseClient.Event("0-17", "decision", "{\"a\":1}"));
    }

    @Test
    void shouldSkipCommentsAndJoinDataLines() throws Exception {
        assertThat(parse(": keep-alive\n\ndata:first\ndata: second\n\n"))
                .containsExactly(new SseClient.Event(null, "message", "first\nsecond"));
    }

    @Test
    void shouldNotDispatchAnEventTheStreamCutOff() throws Exception {
        assertThat(parse("event: ready\ndata: {}\n\nevent: decision\ndata: {\"cut\"")).hasSize(1);
    }

    private static List<SseClient.Event> parse(String text) throws Exception {
        List<SseClient.Event> events = new ArrayList<>();
        SseClient.parse(new BufferedReader(new StringReader(text)), events::add);
        return events;
    }
}
