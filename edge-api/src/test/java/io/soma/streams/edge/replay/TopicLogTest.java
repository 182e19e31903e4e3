package io.soma.streams.edge.replay;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The event copy's order: partitions merged by timestamp, each partition's own order kept. */
class TopicLogTest {

    @Test
    void shouldMergePartitionsByTimestampKeepingEachPartitionsOrder() {
        List<ConsumerRecord<byte[], byte[]>> readPartitionByPartition = List.of(
                record(0, 10, "a1"), record(0, 40, "a2"), record(0, 30, "a3"), // a3 goes back in time
                record(1, 20, "b1"), record(1, 35, "b2"),
                record(2, 10, "c1"));

        List<String> merged = TopicLog.inEventTimeOrder(readPartitionByPartition).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();

        assertThat(merged).containsExactly("a1", "c1", "b1", "b2", "a2", "a3");
    }

    private static ConsumerRecord<byte[], byte[]> record(int partition, long timestamp, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return new ConsumerRecord<>("t", partition, 0, timestamp, TimestampType.CREATE_TIME, 1, bytes.length,
                new byte[]{'k'}, bytes, new RecordHeaders(), Optional.empty());
    }
}
