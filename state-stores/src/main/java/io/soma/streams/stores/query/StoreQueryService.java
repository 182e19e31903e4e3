package io.soma.streams.stores.query;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

import static io.soma.streams.stores.query.PeerClient.encode;

/**
 * Interactive queries across instances: a key is answered from the local store when this instance
 * holds its partition, otherwise by the instance that does (its {@code application.server}), through
 * {@link PeerClient#INTERNAL_PATH}. While the group rebalances the lookup retries; when nobody can answer in time the
 * result says why, and the edge turns that into a 503. Window stores are asked the same way for the windows of
 * one key in a time range, and grouped stores for every entry of one group.
 * <p>
 * Every query acts for one tenant, and a store says whose data each key is ({@link StoreTenancy}): the instance
 * that answers, this one or a peer, shows a key only to its own tenant. Peers are asked on their peer listener, with
 * the shared peer credential ({@link PeerClient#PEER_CREDENTIAL_HEADER}) and the tenant ({@link PeerClient#TENANT_HEADER}).
 */
public final class StoreQueryService {
    private final HostInfo self;
    private final Duration patience;
    private final LocalStores local = new LocalStores();
    private final PeerClient peers;

    /**
     * @param self           this instance's {@code application.server}: its peer listener
     * @param patience       how long a lookup may wait for a rebalance to settle
     * @param peerCredential the secret shared by every instance, sent with each forwarded query
     */
    public StoreQueryService(HostInfo self, Duration patience, String peerCredential) {
        this.self = self;
        this.patience = patience;
        this.peers = new PeerClient(peerCredential);
    }

    /** Where stores are registered, and read on this instance only. */
    public LocalStores local() {
        return local;
    }

    /**
     * The value of {@code key}, wherever it lives.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookup(String storeName, String key, String tenant) {
        return fromOwner(storeName, key, partition -> local.lookup(storeName, key, tenant, () -> partition),
                owner -> peers.ask(owner, storeName, "/keys/" + encode(key), tenant));
    }

    /**
     * The windows of {@code key} that start in [{@code from}, {@code to}), oldest first, wherever the key lives:
     * FOUND with a JSON array (empty when there are none), or UNAVAILABLE.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookupWindows(String storeName, String key, Instant from, Instant to, String tenant) {
        return fromOwner(storeName, key, partition -> local.windows(storeName, key, from, to, tenant, () -> partition),
                owner -> peers.ask(owner, storeName, "/windows/" + encode(key) + "?from=" + from.toEpochMilli()
                        + "&to=" + to.toEpochMilli(), tenant));
    }

    /**
     * Every entry of {@code group} in a grouped store, in key order, wherever the group lives: FOUND with a JSON
     * array, NOT_FOUND when the group has no entry, or UNAVAILABLE.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookupGroup(String storeName, String group, String tenant) {
        return fromOwner(storeName, group, partition -> local.group(storeName, group, tenant, () -> partition),
                owner -> peers.ask(owner, storeName, "/groups/" + encode(group), tenant));
    }

    /**
     * The one entry {@code member} of {@code group} in a grouped store, wherever the group lives, without reading the
     * rest of the group: FOUND, NOT_FOUND or UNAVAILABLE.
     *
     * @param tenant whom the query acts for (null only for stores of data no tenant owns)
     */
    public QueryResult lookupGroupEntry(String storeName, String group, String member, String tenant) {
        return fromOwner(storeName, group,
                partition -> local.groupEntry(storeName, group, member, tenant, () -> partition),
                owner -> peers.ask(owner, storeName, "/groups/" + encode(group) + "/entries/" + encode(member), tenant));
    }

    /** Asks the instance that holds {@code key} (this one or a peer), retrying while the group rebalances. */
    private QueryResult fromOwner(String storeName, String key, LocalAnswer here, PeerAnswer peer) {
        LocalStores.RegisteredStore store = local.registered(storeName);
        long deadline = System.nanoTime() + patience.toNanos();
        String lastProblem = "no instance holds the key yet";
        do {
            KeyQueryMetadata metadata;
            try {
                metadata = store.streams().queryMetadataForKey(storeName, key, Serdes.String().serializer());
            } catch (IllegalStateException e) {
                metadata = KeyQueryMetadata.NOT_AVAILABLE;
                lastProblem = e.getMessage();
            }
            if (metadata != null && !KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
                HostInfo owner = metadata.activeHost();
                try {
                    return owner.equals(self) || isUnset(owner) ? here.answer(metadata.partition())
                            : peer.answer(owner);
                } catch (InvalidStateStoreException | IOException e) {
                    lastProblem = e.getMessage();
                }
            }
            sleepBriefly();
        } while (System.nanoTime() < deadline);
        return QueryResult.unavailable("store " + storeName + " cannot answer for now: " + lastProblem);
    }

    /** This instance's answer, from the key's partition as the metadata just named it. */
    private interface LocalAnswer {
        QueryResult answer(int partition);
    }

    private interface PeerAnswer {
        QueryResult answer(HostInfo owner) throws IOException;
    }

    private static boolean isUnset(HostInfo host) {
        return host.port() < 0 || host.host().equals("unavailable");
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
