package io.soma.streams.topologies.runtime;

import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerde;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;

/** Registry-aware serdes for the apps' topics and stores. */
public record AppSerdes(SchemaRegistryClient registry) {

    public <V extends SpecificRecord> AvroSerde<V> value(Topics.Topic<V> topic) {
        return topic.valueSerde(registry);
    }

    /** A store's values are written under the store's changelog subject, registered on first write. */
    public <V extends SpecificRecord> AvroSerde<V> storeValue(Class<V> type) {
        return new AvroSerde<>(type, registry, false);
    }
}
