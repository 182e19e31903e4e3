package io.soma.streams.stores.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Interactive queries across instances: a key is answered from the local store when this instance
 * holds its partition, otherwise by the instance that does (its {@code application.server}), through
 * {@link #INTERNAL_PATH}. While the group rebalances the lookup retries; when nobody can answer in time the
 * result says why, and the edge turns that into a 503. Window stores are asked the same way for the windows of
 * one key in a time range, and grouped stores for every entry of one group.
 * <p>
 * Every query acts for one tenant, and a store says whose data each key is ({@link StoreTenancy}): the instance
 * that answers, this one or a peer, shows a key only to its own tenant. Peers are asked on their peer listener, with
 * the shared peer credential ({@link #PEER_CREDENTIAL_HEADER}) and the tenant ({@link #TENANT_HEADER}).
 */
public final class StoreQueryService {
    /**
     * The routes every instance serves for its peers: {@code /internal/stores/{store}/keys/{key}} and
     * {@code /internal/stores/{store}/windows/{key}?from=&to=} (epoch milliseconds) and
     * {@code /internal/stores/{store}/groups/{group}}.
     */
    public static final String INTERNAL_PATH = "/internal/stores";
    /** The secret every instance of a deployment shares; a peer listener answers nothing without it. */
    public static final String PEER_CREDENTIAL_HEADER = "X-Soma-Peer-Credential";
    /** The tenant a forwarded query acts for; absent for stores of data no tenant owns. */
    public static final String TENANT_HEADER = "X-Soma-Tenant";
    /**
     * On every answer of a peer that accepted the credential: a 404 without it is a refused credential (a
     * misconfigured instance), not a missing key, and must not read as one.
     */
    public static final String PEER_ANSWER_HEADER = "X-Soma-Peer";
    /** Ends the group in a grouped store's keys, so group "a" never matches the keys of group "ab". */
    private static final char GROUP_END = '\u0000';
    private static final Logger log = LoggerFactory.getLogger(StoreQueryService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HostInfo self;
    private final Duration patience;
    private final String peerCredential;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, RegisteredStore> stores = new ConcurrentHashMap<>();

    /**
     * @param self           this instance's {@code application.server}: its peer listener
     * @param patience       how long a lookup may wait for a rebalance to settle
     * @param peerCredential the secret shared by every instance, sent with each forwarded query
     */
    public StoreQueryService(HostInfo self, Duration patience, String peerCredential) {
        this.self = self;
        this.patience = patience;
        this.peerCredential = peerCredential;
    }

    /**
     * Makes a key-value store queryable; {@code view} turns a stored value into the JSON an API returns,
     * so a local and a forwarded answer are the same document.
     */
    public <V> void registerKeyValueStore(String storeName, KafkaStreams streams, StoreTenancy tenancy,
                                          Function<V, ?> view) {
        stores.put(storeName, new RegisteredStore(streams, value -> view.apply(cast(value)), Kind.KEY_VALUE, null, tenancy));
    }

    /** One window of a window store: the key, the window's bounds ({@code end} exclusive) and the stored value. */
    public record WindowedValue<V>(String key, Instant start, Instant end, V value) {
    }

    /**
     * Makes a window store of fixed-size windows queryable; {@code view} turns a window into the JSON an API
     * returns, so a local and a forwarded answer are the same document.
     */
    public <V> void registerWindowStore(String storeName, KafkaStreams streams, Duration windowSize, StoreTenancy tenancy,
                                        Function<WindowedValue<V>, ?> view) {
        stores.put(storeName, new RegisteredStore(streams, window -> view.apply(cast(window)), Kind.WINDOW, windowSize,
                tenancy));
    }

    /** One entry of a grouped store: its whole key and the stored value. */
    public record GroupEntry<V>(String key, V value) {
    }

    /**
     * A key of a grouped store: {@code group}, then each part, separated by NUL. The app that writes the store
     * must partition its input by {@code group} (as a String key, with the default partitioner), so that every
     * entry of a group lives on the partition {@link #lookupGroup} asks.
     *
     * @throws IllegalArgumentException when the group or a part holds NUL (it would land in another group or key)
     */
    public static String groupedKey(String group, String... parts) {
        for (String part : parts) {
            requireNoNul(part);
        }
        return groupPrefix(group) + String.join(String.valueOf(GROUP_END), parts);
    }

    /** What every key of {@code group} starts with (and no key of another group). */
    public static String groupPrefix(String group) {
        return requireNoNul(group) + GROUP_END;
    }

    private static String requireNoNul(String part) {
        if (part.indexOf(GROUP_END) >= 0) {
            throw new IllegalArgumentException("a grouped key's parts must not contain NUL: "
                    + part.replace(GROUP_END, '\uFFFD'));
        }
        return part;
    }

    /** The parts of a {@link #groupedKey}, group first. */
    public static List<String> keyParts(String groupedKey) {
        return List.of(groupedKey.split(String.valueOf(GROUP_END), -1));
    }

    /**
     * Makes a key-value store written with {@link #groupedKey} queryable by group; {@code view} turns an entry into
     * the JSON an API returns, so a local and a forwarded answer are the same document.
     */
    public <V> void registerGroupedStore(String storeName, KafkaStreams streams, StoreTenancy tenancy,
                                         Function<GroupEntry<V>, ?> view) {
        stores.put(storeName, new RegisteredStore(streams, entry -> view.apply(cast(entry)), Kind.GROUPED, null, tenancy));
    }

    /**
     * The value of {@code key}, wherever it lives.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookup(String storeName, String key, String tenant) {
        return fromOwner(storeName, key, () -> localLookup(storeName, key, tenant),
                owner -> forward(owner, storeName, "/keys/" + encode(key), tenant));
    }

    /**
     * The windows of {@code key} that start in [{@code from}, {@code to}), oldest first, wherever the key lives:
     * FOUND with a JSON array (empty when there are none), or UNAVAILABLE.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookupWindows(String storeName, String key, Instant from, Instant to, String tenant) {
        return fromOwner(storeName, key, () -> localWindows(storeName, key, from, to, tenant),
                owner -> forward(owner, storeName, "/windows/" + encode(key) + "?from=" + from.toEpochMilli()
                        + "&to=" + to.toEpochMilli(), tenant));
    }

    /**
     * Every entry of {@code group} in a grouped store, in key order, wherever the group lives: FOUND with a JSON
     * array, NOT_FOUND when the group has no entry, or UNAVAILABLE.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookupGroup(String storeName, String group, String tenant) {
        return fromOwner(storeName, group, () -> localGroup(storeName, group, tenant),
                owner -> forward(owner, storeName, "/groups/" + encode(group), tenant));
    }

    /** Asks the instance that holds {@code key} (this one or a peer), retrying while the group rebalances. */
    private QueryResult fromOwner(String storeName, String key, LocalAnswer local, PeerAnswer peer) {
        RegisteredStore store = registered(storeName);
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
                    return owner.equals(self) || isUnset(owner) ? local.answer() : peer.answer(owner);
                } catch (InvalidStateStoreException | IOException e) {
                    lastProblem = e.getMessage();
                }
            }
            sleepBriefly();
        } while (System.nanoTime() < deadline);
        return QueryResult.unavailable("store " + storeName + " cannot answer for now: " + lastProblem);
    }

    private interface LocalAnswer {
        QueryResult answer();
    }

    private interface PeerAnswer {
        QueryResult answer(HostInfo owner) throws IOException;
    }

    /** Answers from this instance only: the peer side of a forwarded lookup. */
    public QueryResult localLookup(String storeName, String key, String tenant) {
        RegisteredStore store = registered(storeName, Kind.KEY_VALUE);
        if (!store.tenancy.visibleTo(key, tenant)) {
            return QueryResult.notFound();
        }
        ReadOnlyKeyValueStore<String, Object> kv = store.streams.store(
                StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, Object>keyValueStore()));
        Object value = kv.get(key);
        return value == null ? QueryResult.notFound() : QueryResult.found(JSON.valueToTree(store.view.apply(value)));
    }

    /** Every entry of {@code group} from this instance only: the peer side of a forwarded group lookup. */
    public QueryResult localGroup(String storeName, String group, String tenant) {
        RegisteredStore store = registered(storeName, Kind.GROUPED);
        if (!store.tenancy.visibleTo(group, tenant)) {
            return QueryResult.notFound();
        }
        ReadOnlyKeyValueStore<String, Object> kv = store.streams.store(
                StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, Object>keyValueStore()));
        List<Object> entries = new ArrayList<>();
        try (KeyValueIterator<String, Object> found = kv.prefixScan(groupPrefix(group), Serdes.String().serializer())) {
            found.forEachRemaining(e -> entries.add(store.view.apply(new GroupEntry<>(e.key, e.value))));
        }
        return entries.isEmpty() ? QueryResult.notFound() : QueryResult.found(JSON.valueToTree(entries));
    }

    /** The windows of {@code key} starting in [{@code from}, {@code to}) from this instance only: the peer side of a forwarded lookup. */
    public QueryResult localWindows(String storeName, String key, Instant from, Instant to, String tenant) {
        RegisteredStore store = registered(storeName, Kind.WINDOW);
        if (!store.tenancy.visibleTo(key, tenant)) {
            return QueryResult.notFound();
        }
        List<Object> windows = new ArrayList<>();
        if (from.isBefore(to)) {
            ReadOnlyWindowStore<String, Object> ws = store.streams.store(
                    StoreQueryParameters.fromNameAndType(storeName, QueryableStoreTypes.<String, Object>windowStore()));
            // fetch bounds are inclusive: the last millisecond before to is the latest start asked for
            try (WindowStoreIterator<Object> found = ws.fetch(key, from, to.minusMillis(1))) {
                found.forEachRemaining(kv -> {
                    Instant start = Instant.ofEpochMilli(kv.key);
                    windows.add(store.view.apply(new WindowedValue<>(key, start, start.plus(store.windowSize), kv.value)));
                });
            }
        }
        return QueryResult.found(JSON.valueToTree(windows));
    }

    private RegisteredStore registered(String storeName) {
        RegisteredStore store = stores.get(storeName);
        if (store == null) {
            throw new IllegalArgumentException("no queryable store " + storeName);
        }
        return store;
    }

    /** The store, if it is read the way this lookup reads ({@code IllegalArgumentException} otherwise). */
    private RegisteredStore registered(String storeName, Kind kind) {
        RegisteredStore store = registered(storeName);
        if (store.kind != kind) {
            throw new IllegalArgumentException(storeName + " is a " + store.kind.name().toLowerCase().replace('_', '-')
                    + " store, not a " + kind.name().toLowerCase().replace('_', '-') + " store");
        }
        return store;
    }

    /** @param path what follows {@code /internal/stores/{store}}, already encoded */
    private QueryResult forward(HostInfo owner, String storeName, String path, String tenant)
            throws IOException {
        URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + INTERNAL_PATH + "/"
                + encode(storeName) + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET()
                .header(PEER_CREDENTIAL_HEADER, peerCredential);
        if (tenant != null) {
            request.header(TENANT_HEADER, tenant);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            log.debug("forwarded {}{} to {}: {}", storeName, path, owner, response.statusCode());
            if (response.headers().firstValue(PEER_ANSWER_HEADER).isEmpty()) {
                log.warn("peer {} refused this instance's credential: is edge.peer.secret the same on every instance?",
                        owner);
                throw new IOException("peer " + owner + " refused the peer credential");
            }
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

    /** How a store is read: each kind has its own lookup, and the others refuse it. */
    private enum Kind { KEY_VALUE, WINDOW, GROUPED }

    /** @param windowSize null unless a window store */
    private record RegisteredStore(KafkaStreams streams, Function<Object, ?> view, Kind kind, Duration windowSize,
                                   StoreTenancy tenancy) {
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
    }
}
