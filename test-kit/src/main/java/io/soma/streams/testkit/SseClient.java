package io.soma.streams.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An SSE client that reads the endless response body on a daemon thread of its own, so the test thread only
 * ever waits with a timeout. Events are dispatched at the blank line that ends them, as the SSE specification
 * says; comments (keep-alives) are skipped, and an {@code id} without data moves the last event id as a browser's
 * {@code EventSource} does.
 */
public final class SseClient implements AutoCloseable {
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(HEADERS_TIMEOUT).build();

    /**
     * One dispatched event: the last event id when it was dispatched (null while the stream has sent none), its name
     * ({@code message} by default) and data.
     */
    public record Event(String id, String name, String data) {
    }

    /** What a stream's parser hands on: each event, and each last event id (which a block of only an id moves too). */
    interface Sink {
        void event(Event event);

        void lastEventId(String id);
    }

    private final HttpResponse<InputStream> response;
    private final List<Event> events = new ArrayList<>();
    private volatile String lastEventId;
    private volatile boolean ended;
    private final String errorBody;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        if (response.statusCode() != 200) {
            errorBody = readAll(response.body());
            return;
        }
        errorBody = null;
        Thread reader = new Thread(this::read, "sse-client-" + response.uri().getPath());
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens {@code uri} with {@code headers} (e.g. Authorization, Last-Event-ID); returns once the headers came. */
    public static SseClient open(URI uri, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT)
                .header("Accept", "text/event-stream").GET();
        headers.forEach(request::header);
        try {
            return new SseClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted opening " + uri, e);
        }
    }

    public int status() {
        return response.statusCode();
    }

    /** The body of a response that was not 200 (an error), else null. */
    public String errorBody() {
        return errorBody;
    }

    /** The first event named {@code name}; fails after {@code timeout}. */
    public Event awaitEvent(String name, Duration timeout) {
        return awaitEvents(name, 1, timeout).get(0);
    }

    /** Every event named {@code name} so far, once there are at least {@code n}; fails after {@code timeout}. */
    public List<Event> awaitEvents(String name, int n, Duration timeout) {
        return Await.value(n + " '" + name + "' event(s) from " + response.uri(), timeout, () -> named(name),
                list -> list.size() >= n);
    }

    /** Every event so far, in order. */
    public List<Event> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** The last event id, what a browser would send as {@code Last-Event-ID} when it reconnects; null before any. */
    public String lastId() {
        return lastEventId;
    }

    private List<Event> named(String name) {
        synchronized (events) {
            return events.stream().filter(e -> name.equals(e.name())).toList();
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            parse(in, new Sink() {
                @Override
                public void event(Event event) {
                    synchronized (events) {
                        events.add(event);
                    }
                }

                @Override
                public void lastEventId(String id) {
                    lastEventId = id;
                }
            });
        } catch (IOException e) {
            // closed by the test, or the connection dropped: either way the stream has ended
        } finally {
            ended = true;
        }
    }

    /** Whether the stream has ended: the server closed it, the connection dropped, or the test hung up. */
    public boolean ended() {
        return ended;
    }

    /**
     * Reads SSE lines from {@code in} until it ends, handing each event to {@code sink} at the blank line that ends
     * it, as the SSE specification says: comments (keep-alives) skipped, one leading space of a value dropped,
     * several {@code data} lines joined with a newline, {@code message} the name of an event without one. The last
     * event id is kept from block to block and set at each blank line, also by a block without data, which is not an
     * event.
     */
    static void parse(BufferedReader in, Sink sink) throws IOException {
        String id = null;
        String name = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (id != null) {
                    sink.lastEventId(id);
                }
                if (data != null) {
                    sink.event(new Event(id, name == null ? "message" : name, data.toString()));
                }
                name = null;
                data = null;
            } else if (!line.startsWith(":")) {
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                value = value.startsWith(" ") ? value.substring(1) : value;
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> name = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> { }
                }
            }
        }
    }

    private static String readAll(InputStream body) {
        try (InputStream in = body) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** Hangs up: the reader thread sees the end of the body and stops. */
    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException e) {
            // already closed
        }
    }
}
