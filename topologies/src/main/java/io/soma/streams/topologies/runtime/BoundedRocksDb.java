package io.soma.streams.topologies.runtime;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * One memory budget for every RocksDB store of the process, as Kafka Streams' memory-management guide does it: each
 * store's block cache, its index and filter blocks and its memtables are charged to one shared cache of
 * {@value #MEMORY_BYTES_CONFIG} bytes, half of which memtables may take. Without it, each of the ~100 stores a pod
 * holds (six apps, active and standby tasks, window segments) has a 50 MB cache and up to 48 MB of memtables of its
 * own: off-heap memory no container limit accounts for, until the kernel kills the pod.
 *
 * <p>The budget is the process's, not an app's: the first store opened sizes it, from its app's config.
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {
    /** The app config that carries the budget to the stores, in bytes: the setting {@code streams.rocksdb.memory.mb}. */
    public static final String MEMORY_BYTES_CONFIG = "soma.rocksdb.memory.bytes";
    /** Index and filter blocks stay in the cache's high-priority pool, up to this share of it. */
    private static final double INDEX_FILTER_SHARE = 0.1;
    private static Shared shared;

    /** The cache and the memtables' manager every store shares; never closed, as they outlive any one store. */
    private record Shared(long bytes, Cache cache, WriteBufferManager writeBuffers) {
    }

    /** The shared budget, made by the first store with {@code bytes}. */
    static synchronized Shared shared(long bytes) {
        if (shared == null) {
            Cache cache = new LRUCache(bytes, -1, false, INDEX_FILTER_SHARE);
            shared = new Shared(bytes, cache, new WriteBufferManager(bytes / 2, cache));
        }
        return shared;
    }

    /** The budget the stores of this process share, in bytes; 0 before any store was opened. */
    public static synchronized long budgetBytes() {
        return shared == null ? 0 : shared.bytes();
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared budget = shared(Long.parseLong(String.valueOf(configs.get(MEMORY_BYTES_CONFIG))));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(budget.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        options.setWriteBufferManager(budget.writeBuffers());
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write buffer manager are every store's: closed with one, they would fail the others
    }
}
