package io.soma.streams.schemas.serde;

import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads registry-framed Avro into generated records, resolving the writer's schema (fetched by id, cached) to
 * the reader's, so an app built with one version of a record reads records written with another compatible one.
 * The reader schema is that of the given class; without one, that of the generated class named like the writer
 * schema. Poison records raise an {@link AvroSerdeException} subclass saying what was wrong; a registry that
 * cannot be reached raises {@link SchemaRegistryException} (transient, not the record's fault).
 */
public class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final Class<T> type;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
    private SchemaRegistryClient registry;

    /** For Kafka to instantiate; reads into the generated class named by each record's writer schema. */
    public AvroDeserializer() {
        this(null, null);
    }

    /** Reads into {@code type}; {@link #configure} must follow. */
    public AvroDeserializer(Class<T> type) {
        this(type, null);
    }

    public AvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
        this.type = type;
        this.registry = registry;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        useRegistry(new SchemaRegistryClient(SchemaRegistryConfig.from(configs)));
    }

    void useRegistry(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    @Override
    public T deserialize(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("AvroDeserializer used before configure(): set " + SchemaRegistryConfig.URL);
        }
        int schemaId = WireFormat.schemaId(topic, payload);
        DatumReader<T> reader = readers.get(schemaId);
        if (reader == null) {
            reader = resolve(topic, schemaId);
            readers.putIfAbsent(schemaId, reader);
        }
        return AvroCodec.decode(topic, schemaId, payload, reader);
    }

    private DatumReader<T> resolve(String topic, int schemaId) {
        Schema writer;
        try {
            writer = registry.schemaById(schemaId);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                throw new UnknownSchemaIdException(topic, schemaId, e);
            }
            throw e;
        }
        return AvroCodec.resolvingReader(topic, schemaId, writer, readerSchema(topic, writer));
    }

    private Schema readerSchema(String topic, Schema writer) {
        if (type != null) {
            return SpecificData.get().getSchema(type);
        }
        Class<?> generated = SpecificData.get().getClass(writer);
        if (generated == null || !SpecificRecord.class.isAssignableFrom(generated)) {
            throw new SchemaMismatchException("record on " + topic + " is a " + writer.getFullName()
                    + ", for which no generated class is on the classpath", null);
        }
        return SpecificData.get().getSchema(generated);
    }
}
