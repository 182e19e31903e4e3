package io.soma.streams.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The drill's HTTP client of the edges: an admin token from the bootstrap API key, JSON in and out. */
final class EdgeClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** A status and a parsed body (null when the body is not JSON). */
    record Answer(int status, JsonNode body) {
    }

    private final String token;

    private EdgeClient(String token) {
        this.token = token;
    }

    /** Exchanges the bootstrap admin API key for a token at {@code baseUrl}. */
    static EdgeClient login(String baseUrl, String apiKey) {
        Answer issued = send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/tokens/issue"))
                .header("X-Api-Key", apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        if (issued.status() != 201) {
            throw new IllegalStateException("cannot get an admin token: " + issued);
        }
        return new EdgeClient(issued.body().get("token").asText());
    }

    Answer get(String baseUrl, String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + token).GET());
    }

    Answer post(String baseUrl, String path, Map<String, ?> body) {
        try {
            return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + body, e);
        }
    }

    private static Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = JSON.readTree(r.body());
            } catch (IOException notJson) {
                body = null;
            }
            return new Answer(r.statusCode(), body);
        } catch (IOException e) {
            return new Answer(-1, JSON.getNodeFactory().textNode(e.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
