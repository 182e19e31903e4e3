package io.soma.streams.topologies.runtime;

import io.soma.streams.avro.ConversationEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ConversationEventTimeTest {
    private static final long RECORD_TIME = 1_700_000_000_000L;
    private static final long PARTITION_TIME = 42L;

    private final ConversationEventTime extractor = new ConversationEventTime();

    @Test
    void shouldTakeTheEventsOwnTimestamp() {
        ConversationEvent event = new ConversationEvent();
        event.setTimestamp(Instant.parse("2025-03-01T12:00:00Z"));

        assertThat(extractor.extract(recordOf(event), PARTITION_TIME))
                .isEqualTo(Instant.parse("2025-03-01T12:00:00Z").toEpochMilli());
    }

    @Test
    void shouldKeepTheRecordTimeWhenTheEventHasNoTimestamp() {
        assertThat(extractor.extract(recordOf(new ConversationEvent()), PARTITION_TIME)).isEqualTo(RECORD_TIME);
    }

    @Test
    void shouldKeepTheRecordTimeWhenTheValueIsNotAnEvent() {
        assertThat(extractor.extract(recordOf(null), PARTITION_TIME)).isEqualTo(RECORD_TIME);
    }

    private static ConsumerRecord<Object, Object> recordOf(Object value) {
        return new ConsumerRecord<>("conversation.events", 0, 0L, RECORD_TIME,
                TimestampType.CREATE_TIME, 0, 0, "session-1", value, new RecordHeaders(), Optional.empty());
    }
}
