package io.soma.streams.edge.marketplace;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.stores.kafka.CompactedTopicView;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The whole catalog in this instance's memory, as summaries ({@link CapsuleSummary}: no manifest, the description
 * cut): every partition of the compacted {@code marketplace.catalog}, followed from the beginning (committed records
 * only). The app's store holds only this instance's partitions, so a list
 * answered from it would miss the capsules other instances hold; this copy lets any instance list and filter the whole
 * catalog. It trails the app by the follower's poll (a review answered 200 shows here a moment later); a capsule by id
 * is read from the app's store instead, wherever it lives.
 */
final class CatalogView implements AutoCloseable {
    private final CompactedTopicView<CapsuleCatalogEntry, CapsuleSummary> entries;

    /** One page of a filtered list, sorted by capsule id, and how many entries matched in all. */
    record Page(List<CapsuleSummary> entries, int total) {
    }

    /**
     * What a list asks for; a null field does not filter. {@code text} matches id, name or description (the part a
     * summary keeps).
     */
    record Filter(CapsuleStatus status, String publisher, String text) {
        boolean matches(CapsuleSummary e) {
            return (status == null || status == e.status())
                    && (publisher == null || publisher.equals(e.publisher()))
                    && (text == null || contains(e.capsuleId()) || contains(e.name()) || contains(e.description()));
        }

        private boolean contains(String field) {
            return field != null && field.toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT));
        }
    }

    CatalogView(String bootstrapServers, String topic, Deserializer<CapsuleCatalogEntry> values) {
        this.entries = new CompactedTopicView<>(bootstrapServers, topic, values, CapsuleSummary::of);
    }

    /**
     * Page {@code page} (from 1) of {@code size} entries matching {@code filter}; 503 until the copy holds what the
     * topic held when it started: a part of the catalog would be answered as the whole, with a wrong total.
     */
    Page list(Filter filter, int page, int size) {
        if (!entries.caughtUp()) {
            throw ApiException.notReady("this instance is still reading the catalog (marketplace.catalog); try again");
        }
        List<CapsuleSummary> matching = entries.values().stream().filter(filter::matches)
                .sorted(Comparator.comparing(CapsuleSummary::capsuleId)).toList();
        int from = (int) Math.min((long) (page - 1) * size, matching.size());
        return new Page(matching.subList(from, Math.min(from + size, matching.size())), matching.size());
    }

    /** Whether the copy holds what the topic held when it started: until then a list is not answered. */
    boolean caughtUp() {
        return entries.caughtUp();
    }

    @Override
    public void close() {
        entries.close();
    }
}
