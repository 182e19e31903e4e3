package io.soma.streams.schemas.serde;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.serde.v1.Probe;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DatumReader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroCodecTest {
    private static final String TOPIC = "conversation.events";

    @Test
    void shouldRoundTripARealTraceEvent() throws IOException {
        ConversationEvent event = AzureTraceSample.firstEvents(1).get(0);

        byte[] payload = AvroCodec.encode(17, event);
        int schemaId = WireFormat.schemaId(TOPIC, payload);
        DatumReader<ConversationEvent> reader = AvroCodec.resolvingReader(TOPIC, schemaId,
                ConversationEvent.getClassSchema(), ConversationEvent.getClassSchema());

        assertThat(schemaId).isEqualTo(17);
        assertThat(AvroCodec.decode(TOPIC, schemaId, payload, reader)).isEqualTo(event);
        assertThat(event.getPromptTokens()).isEqualTo(374);
        assertThat(event.getContent()).isNull();
    }

    @Test
    void shouldReadOldRecordsWithTheNewFieldsDefault() throws IOException {
        Probe v1 = new Probe("p-1", 374L, Instant.parse("2023-11-16T18:15:46.680Z"));

        byte[] payload = AvroCodec.encode(1, v1);
        DatumReader<io.soma.streams.schemas.serde.v2.Probe> reader = AvroCodec.resolvingReader(TOPIC, 1,
                Probe.getClassSchema(), io.soma.streams.schemas.serde.v2.Probe.getClassSchema());
        io.soma.streams.schemas.serde.v2.Probe read = AvroCodec.decode(TOPIC, 1, payload, reader);

        assertThat(read.getId()).isEqualTo("p-1");
        assertThat(read.getTokens()).isEqualTo(374L);
        assertThat(read.getAt()).isEqualTo(v1.getAt());
        assertThat(read.getModel()).isNull();
    }

    @Test
    void shouldReadNewRecordsSkippingTheFieldItDoesNotKnow() throws IOException {
        var v2 = new io.soma.streams.schemas.serde.v2.Probe("p-2", 109L, Instant.parse("2023-11-16T18:15:50.995Z"), "gpt-4");

        byte[] payload = AvroCodec.encode(2, v2);
        DatumReader<Probe> reader = AvroCodec.resolvingReader(TOPIC, 2,
                io.soma.streams.schemas.serde.v2.Probe.getClassSchema(), Probe.getClassSchema());
        Probe read = AvroCodec.decode(TOPIC, 2, payload, reader);

        assertThat(read).isEqualTo(new Probe("p-2", 109L, v2.getAt()));
    }

    @Test
    void shouldRefuseAReaderThatNeedsAFieldTheWriterLacks() {
        assertThatThrownBy(() -> AvroCodec.resolvingReader(TOPIC, 1, Probe.getClassSchema(),
                io.soma.streams.schemas.serde.v3.Probe.getClassSchema()))
                .isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("schema id 1")
                .hasMessageContaining("region");
    }

    @Test
    void shouldReportABodyThatDoesNotDecode() throws IOException {
        byte[] payload = AvroCodec.encode(3, AzureTraceSample.firstEvents(1).get(0));
        byte[] cut = Arrays.copyOf(payload, payload.length / 2);
        DatumReader<ConversationEvent> reader = AvroCodec.resolvingReader(TOPIC, 3,
                ConversationEvent.getClassSchema(), ConversationEvent.getClassSchema());

        assertThatThrownBy(() -> AvroCodec.decode(TOPIC, 3, cut, reader))
                .isInstanceOf(CorruptPayloadException.class)
                .hasMessageContaining("does not decode with its writer schema id 3");
    }

    @Test
    void shouldReportBytesLeftOverAfterTheRecord() throws IOException {
        byte[] payload = AvroCodec.encode(4, new Probe("p-3", 1L, Instant.EPOCH));
        byte[] padded = Arrays.copyOf(payload, payload.length + 3);
        DatumReader<Probe> reader = AvroCodec.resolvingReader(TOPIC, 4, Probe.getClassSchema(), Probe.getClassSchema());

        assertThatThrownBy(() -> AvroCodec.decode(TOPIC, 4, padded, reader))
                .isInstanceOf(CorruptPayloadException.class)
                .hasMessageContaining("left over");
    }

    /**
     * Ten bytes whose length prefix says two billion: Avro allocated that much before reading, an OutOfMemoryError
     * (the test JVM has 2 GB) that no handler catches and that took the whole process down at every start.
     */
    @Test
    void shouldRefuseAStringLongerThanThePayloadWithoutAllocatingIt() {
        byte[] hostile = framed(5, 0xEC, 0xFF, 0xFF, 0xFF, 0x0F);
        DatumReader<Probe> reader = AvroCodec.resolvingReader(TOPIC, 5, Probe.getClassSchema(), Probe.getClassSchema());

        assertThatThrownBy(() -> AvroCodec.decode(TOPIC, 5, hostile, reader))
                .isInstanceOf(CorruptPayloadException.class)
                .hasMessageContaining("string of 2147483638 bytes where 0 are left");
    }

    @Test
    void shouldRefuseAnArrayOfMoreItemsThanThePayloadHasBytes() {
        Schema schema = new Schema.Parser().parse("""
                {"type": "record", "name": "Counts", "fields": [{"name": "n", "type": {"type": "array", "items": "long"}}]}
                """);
        byte[] hostile = framed(6, 0xEC, 0xFF, 0xFF, 0xFF, 0x0F, 0x02);

        assertThatThrownBy(() -> AvroCodec.decode(TOPIC, 6, hostile, new GenericDatumReader<GenericRecord>(schema)))
                .isInstanceOf(CorruptPayloadException.class)
                .hasMessageContaining("array of 2147483638 items where 1 bytes are left");
    }

    private static byte[] framed(int schemaId, int... body) {
        byte[] header = WireFormat.header(schemaId);
        byte[] payload = Arrays.copyOf(header, header.length + body.length);
        for (int i = 0; i < body.length; i++) {
            payload[header.length + i] = (byte) body[i];
        }
        return payload;
    }
}
