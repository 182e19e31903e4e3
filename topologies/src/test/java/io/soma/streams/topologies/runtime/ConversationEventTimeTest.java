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
    private static final long RECORD_TIME = Instant.parse("2025-03-01T12:00:30Z").toEpochMilli();
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
    void shouldTakeAnEventTimeSlightlyAheadOfTheRecordsAsItIs() {
        ConversationEvent event = new ConversationEvent();
        event.setTimestamp(Instant.ofEpochMilli(RECORD_TIME).plus(ConversationEventTime.MAX_AHEAD));

        assertThat(extractor.extract(recordOf(event), PARTITION_TIME))
                .isEqualTo(RECORD_TIME + ConversationEventTime.MAX_AHEAD.toMillis());
    }

    @Test
    void shouldNotBelieveAnEventTimeFarAheadOfItsRecord() {
        // local time labelled UTC, and microseconds sent as milliseconds: either would move the partition's stream
        // time ahead of every other tenant's events
        ConversationEvent hoursAhead = new ConversationEvent();
        hoursAhead.setTimestamp(Instant.ofEpochMilli(RECORD_TIME).plusSeconds(2 * 3600));
        ConversationEvent microseconds = new ConversationEvent();
        microseconds.setTimestamp(Instant.ofEpochMilli(RECORD_TIME * 1000));

        assertThat(extractor.extract(recordOf(hoursAhead), PARTITION_TIME)).isEqualTo(RECORD_TIME);
        assertThat(extractor.extract(recordOf(microseconds), PARTITION_TIME)).isEqualTo(RECORD_TIME);
    }

    @Test
    void shouldKeepTheRecordTimeWhenTheEventHasNoTimestamp() {
        assertThat(extractor.extract(recordOf(new ConversationEvent()), PARTITION_TIME)).isEqualTo(RECORD_TIME);
    }

    @Test
    void shouldKeepTheRecordTimeWhenTheEventTimeIsBefore1970() {
        ConversationEvent unknown = new ConversationEvent();
        unknown.setTimestamp(Instant.ofEpochMilli(-1));

        assertThat(extractor.extract(recordOf(unknown), PARTITION_TIME)).isEqualTo(RECORD_TIME);
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
