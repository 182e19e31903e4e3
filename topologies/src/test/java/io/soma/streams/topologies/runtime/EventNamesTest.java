package io.soma.streams.topologies.runtime;

import io.soma.streams.avro.ConversationEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventNamesTest {
    private static final String AT_LIMIT = "x".repeat(EventNames.MAX_CHARS);
    private static final String OVER = "x".repeat(EventNames.MAX_CHARS + 1);

    @Test
    void shouldTakeNamesUpToTheLimitAndNone() {
        ConversationEvent event = event().setTenant(AT_LIMIT).setModel(AT_LIMIT).setProvider(AT_LIMIT)
                .setCapsuleId(AT_LIMIT).build();

        assertThat(EventNames.require(event)).isSameAs(event);
        assertThat(EventNames.require(event().build())).isNotNull();
    }

    @Test
    void shouldRefuseALongerNameNamingItsField() {
        assertThatThrownBy(() -> EventNames.require(event().setTenant(OVER).build()))
                .hasMessage("the event's tenant is 257 characters, at most 256");
        assertThatThrownBy(() -> EventNames.require(event().setModel(OVER).build())).hasMessageContaining("model");
        assertThatThrownBy(() -> EventNames.require(event().setProvider(OVER).build())).hasMessageContaining("provider");
        assertThatThrownBy(() -> EventNames.require(event().setCapsuleId(OVER).build()))
                .hasMessageContaining("capsule_id");
    }

    private static ConversationEvent.Builder event() {
        return ConversationEvent.newBuilder().setEventId("e").setSessionId("s").setTenant("t").setRole("user")
                .setEventType("conversation.step").setTimestamp(Instant.EPOCH);
    }
}
