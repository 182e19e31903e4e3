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

    /** A browser's EventSource: a block of only an id dispatches nothing but moves the id a reconnect sends. */
    @Test
    void shouldMoveTheLastEventIdWithABlockOfOnlyAnId() throws Exception {
        List<String> ids = new ArrayList<>();
        List<SseClient.Event> events = parse("id: 1\ndata: a\n\nid: 7\n\n: keep-alive\n\ndata: b\n\n", ids);

        assertThat(events).containsExactly(new SseClient.Event("1", "message", "a"),
                new SseClient.Event("7", "message", "b"));
        assertThat(ids).endsWith("7");
        assertThat(ids).contains("1");
    }

    private static List<SseClient.Event> parse(String text) throws Exception {
        return parse(text, new ArrayList<>());
    }

    private static List<SseClient.Event> parse(String text, List<String> lastEventIds) throws Exception {
        List<SseClient.Event> events = new ArrayList<>();
        SseClient.parse(new BufferedReader(new StringReader(text)), new SseClient.Sink() {
            @Override
            public void event(SseClient.Event event) {
                events.add(event);
            }

            @Override
            public void lastEventId(String id) {
                lastEventIds.add(id);
            }
        });
        return events;
    }
}
