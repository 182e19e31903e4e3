package io.soma.streams.edge.trace;

import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.MDC;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Adds the current request's {@code traceparent} to every record the edge publishes from that request. */
public final class TraceparentInterceptor<K, V> implements ProducerInterceptor<K, V> {

    @Override
    public ProducerRecord<K, V> onSend(ProducerRecord<K, V> record) {
        String traceparent = MDC.get(TraceContext.MDC_TRACEPARENT);
        if (traceparent != null && record.headers().lastHeader(TraceContext.HEADER) == null) {
            record.headers().add(TraceContext.HEADER, traceparent.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
