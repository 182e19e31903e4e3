package io.soma.streams.edge.replay;

import io.soma.streams.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.utils.Bytes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Compares one output topic as the live apps wrote it with the same topic as the rebuilt apps wrote it: per key, in
 * offset order, the key bytes, the record timestamp and the Avro body after the 5-byte header. The header is left
 * out because the schema ids of two registries differ; the writer schemas the ids name must be equal instead.
 * Fields named in {@code masked} (set at the wall clock of processing, or by what it let happen first) are cleared in both datums before the bodies
 * are compared; nothing else is.
 */
public final class OutputComparison {
    private static final int SHOWN_CHARS = 400;

    private OutputComparison() {
    }

    /**
     * How a topic is compared: the fields cleared in both datums first, and what splits a key's records into
     * sequences whose order is compared (null: the key alone); {@code sequencedBy} names it for the report.
     */
    public record Rules(List<String> masked, String sequencedBy, Function<GenericRecord, Object> sequence) {
        public static Rules exact() {
            return new Rules(List.of(), null, null);
        }

        public static Rules clearing(String... wallClockFields) {
            return new Rules(List.of(wallClockFields), null, null);
        }
    }

    /** The outcome for one topic. {@code firstDifference} is null when every record matched. */
    public record TopicResult(String topic, Rules rules, int oldRecords, int newRecords, int identical,
                              int differing, String firstDifference) {
        public boolean same() {
            return differing == 0;
        }
    }

    /**
     * @param oldSchemas the source registry's schemas by id; {@code newSchemas} the rebuild's
     */
    public static TopicResult compare(String topic, Rules rules,
                                      List<ConsumerRecord<byte[], byte[]>> oldRecords,
                                      List<ConsumerRecord<byte[], byte[]>> newRecords,
                                      IntFunction<Schema> oldSchemas, IntFunction<Schema> newSchemas) {
        List<String> masked = rules.masked();
        Map<Sequence, List<ConsumerRecord<byte[], byte[]>>> oldByKey = sequences(oldRecords, rules, oldSchemas);
        Map<Sequence, List<ConsumerRecord<byte[], byte[]>>> newByKey = sequences(newRecords, rules, newSchemas);
        Set<Sequence> keys = new LinkedHashSet<>(oldByKey.keySet());
        keys.addAll(newByKey.keySet());
        int identical = 0;
        int differing = 0;
        String first = null;
        for (Sequence key : keys) {
            List<ConsumerRecord<byte[], byte[]>> before = oldByKey.getOrDefault(key, List.of());
            List<ConsumerRecord<byte[], byte[]>> after = newByKey.getOrDefault(key, List.of());
            for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
                String difference;
                if (i >= after.size()) {
                    difference = "only in the old output: " + show(before.get(i), oldSchemas);
                } else if (i >= before.size()) {
                    difference = "only in the rebuilt output: " + show(after.get(i), newSchemas);
                } else {
                    difference = difference(masked, before.get(i), after.get(i), oldSchemas, newSchemas);
                }
                if (difference == null) {
                    identical++;
                } else {
                    differing++;
                    if (first == null) {
                        first = "key " + text(key.key().get())
                                + (rules.sequence() == null ? "" : " (" + rules.sequencedBy() + " " + key.sequence() + ")")
                                + ", record " + (i + 1) + " of the key: " + difference;
                    }
                }
            }
        }
        return new TopicResult(topic, rules, oldRecords.size(), newRecords.size(), identical, differing, first);
    }

    private static String difference(List<String> masked, ConsumerRecord<byte[], byte[]> before,
                                     ConsumerRecord<byte[], byte[]> after,
                                     IntFunction<Schema> oldSchemas, IntFunction<Schema> newSchemas) {
        if (before.timestamp() != after.timestamp()) {
            return "timestamp " + before.timestamp() + " became " + after.timestamp();
        }
        if (before.value() == null || after.value() == null) {
            return before.value() == after.value() ? null
                    : "value " + (before.value() == null ? "null" : "present") + " became "
                    + (after.value() == null ? "null" : "present");
        }
        Schema schema = oldSchemas.apply(WireFormat.schemaId(before.topic(), before.value()));
        Schema rebuilt = newSchemas.apply(WireFormat.schemaId(after.topic(), after.value()));
        if (!schema.equals(rebuilt)) {
            return "the writer schemas differ";
        }
        byte[] oldBody = body(before.value());
        byte[] newBody = body(after.value());
        if (masked.isEmpty() && Arrays.equals(oldBody, newBody)) {
            return null;
        }
        GenericRecord oldDatum = decode(schema, oldBody);
        GenericRecord newDatum = decode(schema, newBody);
        masked.forEach(field -> {
            clear(oldDatum, field);
            clear(newDatum, field);
        });
        if (Arrays.equals(encode(oldDatum), encode(newDatum))) {
            return null;
        }
        for (Schema.Field f : schema.getFields()) {
            if (GenericData.get().compare(oldDatum.get(f.pos()), newDatum.get(f.pos()), f.schema()) != 0) {
                return "field " + f.name() + ": " + cut(String.valueOf(oldDatum.get(f.pos()))) + " became "
                        + cut(String.valueOf(newDatum.get(f.pos())));
            }
        }
        return "the bodies differ";
    }

    /** A wall-clock field back to the value every rebuild would agree on: null if it may be, else its zero or empty. */
    private static void clear(GenericRecord datum, String field) {
        Schema.Field f = datum.getSchema().getField(field);
        if (f == null) {
            throw new IllegalArgumentException(datum.getSchema().getName() + " has no field " + field);
        }
        Schema type = f.schema();
        datum.put(f.pos(), switch (type.getType()) {
            case UNION -> null;
            case LONG -> 0L;
            case INT -> 0;
            case STRING -> "";
            case BOOLEAN -> false;
            case ARRAY -> List.of();
            default -> throw new IllegalArgumentException("cannot clear " + field + " of type " + type.getType());
        });
    }

    /** A key's records, or those of one sequence of a key. */
    private record Sequence(Bytes key, Object sequence) {
    }

    private static Map<Sequence, List<ConsumerRecord<byte[], byte[]>>> sequences(
            List<ConsumerRecord<byte[], byte[]>> records, Rules rules, IntFunction<Schema> schemas) {
        Map<Sequence, List<ConsumerRecord<byte[], byte[]>>> sequences = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Object sequence = rules.sequence() == null || r.value() == null ? null
                    : rules.sequence().apply(decode(schemas.apply(WireFormat.schemaId(r.topic(), r.value())), body(r.value())));
            sequences.computeIfAbsent(new Sequence(Bytes.wrap(r.key()), sequence), k -> new ArrayList<>()).add(r);
        }
        return sequences;
    }

    private static byte[] body(byte[] framed) {
        return Arrays.copyOfRange(framed, WireFormat.HEADER_SIZE, framed.length);
    }

    private static GenericRecord decode(Schema schema, byte[] body) {
        try {
            return new GenericDatumReader<GenericRecord>(schema)
                    .read(null, DecoderFactory.get().binaryDecoder(body, null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decode a " + schema.getName(), e);
        }
    }

    private static byte[] encode(GenericRecord datum) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(datum.getSchema()).write(datum, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a " + datum.getSchema().getName(), e);
        }
    }

    private static String show(ConsumerRecord<byte[], byte[]> r, IntFunction<Schema> schemas) {
        if (r.value() == null) {
            return "a tombstone";
        }
        return cut(decode(schemas.apply(WireFormat.schemaId(r.topic(), r.value())), body(r.value())).toString());
    }

    private static String text(byte[] key) {
        return key == null ? "null" : new String(key, StandardCharsets.UTF_8);
    }

    private static String cut(String s) {
        return s.length() <= SHOWN_CHARS ? s : s.substring(0, SHOWN_CHARS) + "…";
    }
}
