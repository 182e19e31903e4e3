package io.soma.streams.edge.sse;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.List;
import java.util.Set;

/** What one SSE stream shows: which topics it reads, which channel a record belongs to, and how it looks. */
public interface SseSource {
    List<String> topics();

    /** The channel a record goes to (e.g. its session id), or null when no client wants it. */
    String channelOf(ConsumerRecord<byte[], byte[]> record);

    /**
     * The SSE event for a record; null skips it. A record this stream cannot decode throws: the hub skips it, unless
     * the schema registry was unavailable, then it reads the record again until it can.
     */
    SseMessage render(ConsumerRecord<byte[], byte[]> record);

    /**
     * @param readers the tenants whose clients see it. Null for data no tenant owns, which only streams open to every
     *                tenant show.
     */
    record SseMessage(String event, Object data, Readers readers) {
        public SseMessage(String event, Object data) {
            this(event, data, (Readers) null);
        }

        /** @param tenant whose record it is: only clients of that tenant see it (null as for {@code readers}) */
        public SseMessage(String event, Object data, String tenant) {
            this(event, data, tenant == null ? null : Readers.only(Set.of(tenant)));
        }
    }

    /** The tenants whose clients see a message. */
    @FunctionalInterface
    interface Readers {
        Readers EVERY_TENANT = tenant -> true;

        boolean include(String tenant);

        static Readers only(Set<String> tenants) {
            return tenants::contains;
        }
    }
}
