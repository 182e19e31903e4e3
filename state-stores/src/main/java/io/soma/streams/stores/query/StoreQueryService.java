package io.soma.streams.stores.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Interactive queries across instances: a key is answered from the local store when this instance
 * holds its partition, otherwise by the instance that does (its {@code application.server}), through
 * {@link #INTERNAL_PATH}. While the group rebalances the lookup retries; when nobody can answer in time the
 * result says why, and the edge turns that into a 503.
 */
public final class StoreQueryService {
    /** The route every instance serves for its peers: {@code /internal/stores/{store}/keys/{key}}. */
    public static final String INTERNAL_PATH = "/internal/stores";
    private static final Logger log = LoggerFactory.getLogger(StoreQueryService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HostInfo self;
    private final Duration patience;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, RegisteredStore> stores = new ConcurrentHashMap<>();

    /**
     * @param self     this instance's {@code application.server}
     * @param patience how long a lookup may wait for a rebalance to settle
     */
    public StoreQueryService(HostInfo self, Duration patience) {
        this.self = self;
        this.patience = patience;
    }

    /**
     * Makes a key-value store queryable; {@code view} turns a stored value into the JSON an API returns,
     * so a local and a forwarded answer are the same document.
     */
    public <V> void registerKeyValueStore(String storeName, KafkaStreams streams, Function<V, ?> view) {
        stores.put(storeName, new RegisteredStore(streams, value -> view.apply(cast(value))));
    }

    /**
     * The value of {@code key}, wherever it lives.
     *
     * @param authorization the caller's Authorization header, passed on to a peer (may be null)
     */
    public QueryResult lookup(String storeName, String key, String authorization) {
        RegisteredStore store = stores.get(storeName);
        if (store == null) {
            throw new IllegalArgumentException("no queryable store " + storeName);
        }
        long deadline = System.nanoTime() + patience.toNanos();
        String lastProblem = "no instance holds the key yet";
        do {
            KeyQueryMetadata metadata;
            try {
                metadata = store.streams.queryMetadataForKey(storeName, key, Serdes.String().serializer());
            } catch (IllegalStateException e) {
                metadata = KeyQueryMetadata.NOT_AVAILABLE;
                lastProblem = e.getMessage();
            }
            if (metadata != null && !KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
                HostInfo owner = metadata.activeHost();
                try {
                    return owner.equals(self) || isUnset(owner)
                            ? localLookup(storeName, key)
                            : forward(owner, storeName, key, authorization);
                } catch (InvalidStateStoreException | IOException e) {
                    lastProblem = e.getMessage();
                }
            }
            sleepBriefly();
        } while (System.nanoTime() < deadline);
        return QueryResult.unavailable("store " + storeName + " cannot answer for now: " + lastProblem);
    }

    /** Answers from this instance only: the peer side of a forwarded lookup. */
    public QueryResult localLookup(String storeName, String key) {
        RegisteredStore store = stores.get(storeName);
        if (store == null) {
            throw new IllegalArgumentException("no queryable store " + storeName);
        }
        ReadOnlyKeyValueStore<String, Object> kv = store.streams.store(
                StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, Object>keyValueStore()));
        Object value = kv.get(key);
        return value == null ? QueryResult.notFound() : QueryResult.found(JSON.valueToTree(store.view.apply(value)));
    }

    private QueryResult forward(HostInfo owner, String storeName, String key, String authorization)
            throws IOException {
        URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + INTERNAL_PATH + "/"
                + encode(storeName) + "/keys/" + encode(key));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            log.debug("forwarded {} {} to {}: {}", storeName, key, owner, response.statusCode());
            return switch (response.statusCode()) {
                case 200 -> QueryResult.found(JSON.readTree(response.body()));
                case 404 -> QueryResult.notFound();
                // the peer lost the partition mid-rebalance: ask the metadata again
                default -> throw new IOException("peer " + owner + " answered " + response.statusCode());
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + owner, e);
        }
    }

    private static boolean isUnset(HostInfo host) {
        return host.port() < 0 || host.host().equals("unavailable");
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @SuppressWarnings("unchecked")
    private static <V> V cast(Object value) {
        return (V) value;
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record RegisteredStore(KafkaStreams streams, Function<Object, ?> view) {
    }

    /** Found (with the JSON view), not found, or nobody can answer now (with the reason). */
    public record QueryResult(Status status, JsonNode value, String problem) {
        public enum Status { FOUND, NOT_FOUND, UNAVAILABLE }

        static QueryResult found(JsonNode value) {
            return new QueryResult(Status.FOUND, value, null);
        }

        static QueryResult notFound() {
            return new QueryResult(Status.NOT_FOUND, null, null);
        }

        static QueryResult unavailable(String problem) {
            return new QueryResult(Status.UNAVAILABLE, null, problem);
        }

        public Optional<JsonNode> optionalValue() {
            return Optional.ofNullable(value);
        }
    }
}
