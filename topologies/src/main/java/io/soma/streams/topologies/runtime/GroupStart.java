package io.soma.streams.topologies.runtime;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where a consumer group (a Streams app's application id) starts reading a topic the first time: the apps reset to the
 * earliest offset, which a replay or a test that only wants what comes after its start can move to the end.
 */
public final class GroupStart {
    private GroupStart() {
    }

    /**
     * Commits the current end of every partition of {@code topic} as {@code groupId}'s position, unless the group has
     * committed offsets already (a restart keeps its place). Each admin call waits {@code patience} at most.
     */
    public static void atEndUnlessCommitted(Admin admin, String groupId, String topic, Duration patience) {
        String failure = "cannot position " + groupId + " at the end of " + topic;
        if (!AdminFutures.completed(admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata(), failure, patience)
                .isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetSpec> latest = AdminFutures.completed(admin.describeTopics(List.of(topic)).allTopicNames(),
                failure, patience).get(topic).partitions().stream()
                .collect(Collectors.toMap(p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
        Map<TopicPartition, OffsetAndMetadata> ends = AdminFutures.completed(admin.listOffsets(latest).all(), failure, patience)
                .entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> new OffsetAndMetadata(e.getValue().offset())));
        AdminFutures.completed(admin.alterConsumerGroupOffsets(groupId, ends).all(), failure, patience);
    }
}
