package io.soma.streams.schemas;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP exchange bounded as a whole (for a client on HTTP/1.1, whose abandoned exchange closes its connection). {@code HttpRequest.timeout} ends once a reply's headers have come: a server
 * that stalled after them (a network partition mid-reply) held the calling thread for good, a stream thread reading
 * a record through the schema registry or an edge thread asking a peer instance.
 */
public final class BoundedHttp {
    private BoundedHttp() {
    }

    /**
     * Sends {@code request} and reads its reply as UTF-8 text within {@code limit}, body included.
     *
     * @throws HttpTimeoutException when the whole reply has not come within {@code limit} (the exchange is abandoned)
     * @throws IOException          when the exchange failed
     */
    public static HttpResponse<String> send(HttpClient http, HttpRequest request, Duration limit)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<String>> reply = http.sendAsync(request,
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        try {
            return reply.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            reply.cancel(true);
            int port = request.uri().getPort();
            throw new HttpTimeoutException("no whole reply from " + request.uri().getHost()
                    + (port < 0 ? "" : ":" + port) + " within " + limit.toMillis() + " ms");
        } catch (InterruptedException e) {
            reply.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }
}
