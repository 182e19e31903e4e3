package io.soma.streams.stores.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.schemas.GroupedKey;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * The stores this instance can be asked about, each with its kind, its JSON view and its {@link StoreTenancy}, and
 * their reads from this instance's own state: what a peer's forwarded query is answered with. A key is shown only to
 * its own tenant.
 */
public final class LocalStores {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, RegisteredStore> stores = new ConcurrentHashMap<>();

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
     * Makes a key-value store written with {@link GroupedKey} queryable by group; {@code view} turns an entry into
     * the JSON an API returns, so a local and a forwarded answer are the same document.
     */
    public <V> void registerGroupedStore(String storeName, KafkaStreams streams, StoreTenancy tenancy,
                                         Function<GroupEntry<V>, ?> view) {
        stores.put(storeName, new RegisteredStore(streams, entry -> view.apply(cast(entry)), Kind.GROUPED, null, tenancy));
    }

    /** Answers from this instance only: the peer side of a forwarded lookup. */
    public QueryResult lookup(String storeName, String key, String tenant) {
        return lookup(storeName, key, tenant, () -> partitionOf(storeName, key));
    }

    /** @param partition the key's partition, asked for only once the tenant may see the key */
    QueryResult lookup(String storeName, String key, String tenant, IntSupplier partition) {
        RegisteredStore store = registered(storeName, Kind.KEY_VALUE);
        if (!store.tenancy.visibleTo(key, tenant)) {
            return QueryResult.notFound();
        }
        ReadOnlyKeyValueStore<String, Object> kv = part(store, storeName, partition.getAsInt(),
                QueryableStoreTypes.<String, Object>keyValueStore());
        Object value = kv.get(key);
        return value == null ? QueryResult.notFound() : QueryResult.found(JSON.valueToTree(store.view.apply(value)));
    }

    /** Every entry of {@code group} from this instance only: the peer side of a forwarded group lookup. */
    public QueryResult group(String storeName, String group, String tenant) {
        return group(storeName, group, tenant, () -> partitionOf(storeName, group));
    }

    /** @param partition the group's partition, asked for only once the tenant may see the group */
    QueryResult group(String storeName, String group, String tenant, IntSupplier partition) {
        RegisteredStore store = registered(storeName, Kind.GROUPED);
        ReadOnlyKeyValueStore<String, Object> kv = groupPart(store, storeName, group, tenant, partition);
        if (kv == null) {
            return QueryResult.notFound();
        }
        List<Object> entries = new ArrayList<>();
        try (KeyValueIterator<String, Object> found = kv.prefixScan(GroupedKey.prefix(group), Serdes.String().serializer())) {
            found.forEachRemaining(e -> entries.add(store.view.apply(new GroupEntry<>(e.key, e.value))));
        }
        return entries.isEmpty() ? QueryResult.notFound() : QueryResult.found(JSON.valueToTree(entries));
    }

    /** One entry of {@code group} from this instance only: the peer side of a forwarded entry lookup. */
    public QueryResult groupEntry(String storeName, String group, String member, String tenant) {
        return groupEntry(storeName, group, member, tenant, () -> partitionOf(storeName, group));
    }

    /** @param partition the group's partition, asked for only once the tenant may see the group */
    QueryResult groupEntry(String storeName, String group, String member, String tenant, IntSupplier partition) {
        RegisteredStore store = registered(storeName, Kind.GROUPED);
        ReadOnlyKeyValueStore<String, Object> kv = GroupedKey.isPart(member)
                ? groupPart(store, storeName, group, tenant, partition) : null;
        if (kv == null) {
            return QueryResult.notFound();
        }
        String key = GroupedKey.of(group, member);
        Object value = kv.get(key);
        return value == null ? QueryResult.notFound()
                : QueryResult.found(JSON.valueToTree(store.view.apply(new GroupEntry<>(key, value))));
    }

    /**
     * The partition of a grouped store that holds {@code group}, or null when the tenant may not see the group, or
     * the name holds the separator (no key can start with it).
     */
    private ReadOnlyKeyValueStore<String, Object> groupPart(RegisteredStore store, String storeName, String group,
                                                            String tenant, IntSupplier partition) {
        if (!GroupedKey.isPart(group) || !store.tenancy.visibleTo(group, tenant)) {
            return null;
        }
        return part(store, storeName, partition.getAsInt(), QueryableStoreTypes.<String, Object>keyValueStore());
    }

    /** The windows of {@code key} starting in [{@code from}, {@code to}) from this instance only: the peer side of a forwarded lookup. */
    public QueryResult windows(String storeName, String key, Instant from, Instant to, String tenant) {
        return windows(storeName, key, from, to, tenant, () -> partitionOf(storeName, key));
    }

    /** @param partition the key's partition, asked for only once the tenant may see the key */
    QueryResult windows(String storeName, String key, Instant from, Instant to, String tenant, IntSupplier partition) {
        RegisteredStore store = registered(storeName, Kind.WINDOW);
        if (!store.tenancy.visibleTo(key, tenant)) {
            return QueryResult.notFound();
        }
        List<Object> windows = new ArrayList<>();
        if (from.isBefore(to)) {
            ReadOnlyWindowStore<String, Object> ws = part(store, storeName, partition.getAsInt(),
                    QueryableStoreTypes.<String, Object>windowStore());
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

    /**
     * The value of {@code key} in a store no API shows, e.g. whose data another store's key is, read as a lookup reads:
     * from the active copy of the key's partition on this instance, or {@code InvalidStateStoreException}.
     */
    public static <V> V activeValue(KafkaStreams streams, String storeName, String key) {
        ReadOnlyKeyValueStore<String, V> kv = part(streams, storeName, partitionOf(streams, storeName, key),
                QueryableStoreTypes.<String, V>keyValueStore());
        return kv.get(key);
    }

    /** The partition of {@code key}, for a forwarded lookup ({@link StoreQueryService} knows it already). */
    private int partitionOf(String storeName, String key) {
        return partitionOf(registered(storeName).streams, storeName, key);
    }

    private static int partitionOf(KafkaStreams streams, String storeName, String key) {
        KeyQueryMetadata metadata;
        try {
            metadata = streams.queryMetadataForKey(storeName, key, Serdes.String().serializer());
        } catch (IllegalStateException e) {
            throw new InvalidStateStoreException("store " + storeName + " cannot be queried now: " + e.getMessage(), e);
        }
        if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
            throw new InvalidStateStoreException("no instance holds the partition of " + storeName + " for the key now");
        }
        return metadata.partition();
    }

    /**
     * The part of the store that holds one partition, if this instance holds it as the active copy: without the
     * partition, an instance that lost it in a rebalance would answer "no such key" for a key it no longer has.
     *
     * @throws InvalidStateStoreException when this instance does not hold it now (a peer answers 503, and the
     *                                    asking instance looks up the owner again)
     */
    private static <T> T part(RegisteredStore store, String storeName, int partition, QueryableStoreType<T> type) {
        return part(store.streams, storeName, partition, type);
    }

    private static <T> T part(KafkaStreams streams, String storeName, int partition, QueryableStoreType<T> type) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(storeName, type).withPartition(partition));
        } catch (IllegalStateException e) {
            // the app is not running (starting, stopping, failed): the store cannot be asked now, as in a rebalance
            throw new InvalidStateStoreException("store " + storeName + " cannot be queried now: " + e.getMessage(), e);
        }
    }

    RegisteredStore registered(String storeName) {
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

    @SuppressWarnings("unchecked")
    private static <V> V cast(Object value) {
        return (V) value;
    }

    /** How a store is read: each kind has its own lookup, and the others refuse it. */
    private enum Kind { KEY_VALUE, WINDOW, GROUPED }

    /** @param windowSize null unless a window store */
    record RegisteredStore(KafkaStreams streams, Function<Object, ?> view, Kind kind, Duration windowSize,
                           StoreTenancy tenancy) {
    }
}
