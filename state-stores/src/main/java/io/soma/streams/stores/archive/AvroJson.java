package io.soma.streams.stores.archive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

import java.time.temporal.TemporalAccessor;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Plain JSON for the archive's JSONB columns: records become objects with their schema's field names, unions
 * their bare value (Avro's own JSON encoding would wrap them as {"string": …}), timestamps ISO-8601.
 */
final class AvroJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AvroJson() {
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(plain(value));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON for " + value.getClass().getSimpleName(), e);
        }
    }

    /** The value as maps, lists, strings, numbers and booleans. */
    static Object plain(Object value) {
        if (value instanceof IndexedRecord record) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (Schema.Field field : record.getSchema().getFields()) {
                fields.put(field.name(), plain(record.get(field.pos())));
            }
            return fields;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> entries = new LinkedHashMap<>();
            map.forEach((k, v) -> entries.put(k.toString(), plain(v)));
            return entries;
        }
        if (value instanceof Collection<?> items) {
            return items.stream().map(AvroJson::plain).toList();
        }
        if (value instanceof CharSequence || value instanceof TemporalAccessor || value instanceof Enum<?>) {
            return value.toString();
        }
        return value; // null, numbers, booleans
    }
}
