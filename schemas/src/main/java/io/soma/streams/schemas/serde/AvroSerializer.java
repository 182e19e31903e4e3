package io.soma.streams.schemas.serde;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes generated Avro records in the registry wire format. The record's schema is registered (or, with
 * {@code auto.register.schemas=false}, looked up) under {@code <topic>-value} / {@code <topic>-key} once per
 * topic and schema; the id is cached. Null records stay null (tombstones).
 */
public class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private SchemaRegistryClient registry;
    private boolean isKey;
    private boolean autoRegister;

    /** For Kafka to instantiate; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    public AvroSerializer(SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
        this.registry = registry;
        this.isKey = isKey;
        this.autoRegister = autoRegister;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        configure(new SchemaRegistryClient(SchemaRegistryConfig.from(configs)), configs, isKey);
    }

    void configure(SchemaRegistryClient registry, Map<String, ?> configs, boolean isKey) {
        this.registry = registry;
        this.isKey = isKey;
        this.autoRegister = SchemaRegistryConfig.autoRegister(configs);
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("AvroSerializer used before configure(): set " + SchemaRegistryConfig.URL);
        }
        Schema schema = record.getSchema();
        int id = ids.computeIfAbsent(new SubjectSchema(Subjects.of(topic, isKey), schema), this::schemaId);
        try {
            return AvroCodec.encode(id, record);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " to " + topic + ": " + e.getMessage(), e);
        }
    }

    private int schemaId(SubjectSchema key) {
        try {
            return autoRegister ? registry.register(key.subject(), key.schema()) : registry.lookup(key.subject(), key.schema());
        } catch (SchemaRegistryException e) {
            String what = autoRegister ? "cannot register " : "cannot find (auto-registration is off) ";
            throw new SerializationException(what + key.schema().getFullName() + " under subject " + key.subject()
                    + ": " + e.getMessage(), e);
        }
    }

    private record SubjectSchema(String subject, Schema schema) {
    }
}
