package io.soma.streams.schemas.serde;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Avro binary bodies inside the {@link WireFormat} frame: writing a generated record, and reading one written
 * with a (possibly different) writer schema into the reader's schema.
 */
public final class AvroCodec {
    private AvroCodec() {
    }

    /** The framed payload of {@code record} under {@code schemaId}. */
    public static byte[] encode(int schemaId, SpecificRecord record) throws IOException {
        Schema schema = record.getSchema();
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(WireFormat.header(schemaId));
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        // the generated class's own model knows its logical-type conversions (timestamps as Instant)
        new SpecificDatumWriter<SpecificRecord>(schema, SpecificData.getForSchema(schema)).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /**
     * A reader from {@code writer} to {@code reader}, after checking that Avro's resolution rules allow it
     * (fields the reader lacks are skipped; fields the writer lacks take the reader's defaults).
     */
    public static <T> DatumReader<T> resolvingReader(String topic, int schemaId, Schema writer, Schema reader) {
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new SchemaMismatchException("record on " + topic + " was written with schema id " + schemaId + " ("
                    + writer.getFullName() + "), which the reader's " + reader.getFullName() + " cannot read: "
                    + compatibility.getResult().getIncompatibilities(), null);
        }
        return new SpecificDatumReader<>(writer, reader, SpecificData.getForSchema(reader));
    }

    /** Reads the body of a framed {@code payload}; it must hold exactly one record. */
    public static <T> T decode(String topic, int schemaId, byte[] payload, DatumReader<T> reader) {
        BoundedDecoder decoder = new BoundedDecoder(payload, WireFormat.HEADER_SIZE);
        try {
            T record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new CorruptPayloadException(topic, schemaId, "bytes left over after the record", null);
            }
            return record;
        } catch (IOException | RuntimeException e) {
            if (e instanceof CorruptPayloadException corrupt) {
                throw corrupt;
            }
            throw new CorruptPayloadException(topic, schemaId, String.valueOf(e.getMessage()), e);
        }
    }
}
