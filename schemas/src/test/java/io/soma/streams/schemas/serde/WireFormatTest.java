package io.soma.streams.schemas.serde;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireFormatTest {

    @Test
    void shouldWriteMagicByteThenBigEndianSchemaId() {
        assertThat(WireFormat.header(0x01020304)).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void shouldReadBackTheSchemaId() {
        byte[] payload = {0, 0, 0, 1, 7, 42};

        assertThat(WireFormat.schemaId("t", payload)).isEqualTo(263);
    }

    @Test
    void shouldRejectPayloadShorterThanTheHeader() {
        assertThatThrownBy(() -> WireFormat.schemaId("conversation.events", new byte[]{0, 0, 1}))
                .isInstanceOf(TruncatedPayloadException.class)
                .hasMessageContaining("conversation.events")
                .hasMessageContaining("3 bytes");
    }

    @Test
    void shouldRejectPayloadWithoutTheMagicByte() {
        byte[] json = "{\"event_id\":\"e1\"}".getBytes();

        assertThatThrownBy(() -> WireFormat.schemaId("conversation.events", json))
                .isInstanceOf(BadMagicByteException.class)
                .hasMessageContaining("starts with byte 123");
    }
}
