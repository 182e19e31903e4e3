package io.soma.streams.schemas.serde;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.serde.v1.Probe;
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
}
