package io.soma.streams.schemas.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

import java.util.Map;

/**
 * The registry-aware Avro serde of one generated record type, for kafka-clients and Kafka Streams. Either
 * give it a client, or call {@link #configure} with {@code schema.registry.url} (and optionally
 * {@code auto.register.schemas}, {@code basic.auth.user.info}).
 */
public class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    /** Configure before use. */
    public AvroSerde(Class<T> type) {
        this.serializer = new AvroSerializer<>();
        this.deserializer = new AvroDeserializer<>(type);
    }

    /** Ready to use: registers schemas under the topic's value (or key) subject. */
    public AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean isKey) {
        this(type, registry, isKey, true);
    }

    public AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
        this.serializer = new AvroSerializer<>(registry, isKey, autoRegister);
        this.deserializer = new AvroDeserializer<>(type, registry);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // one client, so both halves share the cache of schemas by id
        SchemaRegistryClient registry = new SchemaRegistryClient(SchemaRegistryConfig.from(configs));
        serializer.configure(registry, configs, isKey);
        deserializer.useRegistry(registry);
    }

    @Override
    public AvroSerializer<T> serializer() {
        return serializer;
    }

    @Override
    public AvroDeserializer<T> deserializer() {
        return deserializer;
    }
}
