package io.soma.streams.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Times a throughput phase by when its work is done as a downstream reader sees it. Two ways, for two kinds of app:
 * <ul>
 *   <li>{@link #byOutputs}: one output per input record (the copy, policy decisions, training audits): done when a
 *       read_committed reader has seen all of them;</li>
 *   <li>{@link #byCommittedInput}: output per closed window (forecast, SLM), or for some input records only (budget:
 *       a reply per reservation, none per response), a count that depends on the data: done when the app's group
 *       has committed offsets at the end of its inputs and of its own repartition topics. Under
 *       exactly-once those offsets commit in the same transaction as the outputs they caused, so this is the moment
 *       a read_committed reader sees everything; sampled every {@value #SAMPLE_MILLIS} ms.</li>
 * </ul>
 */
final class PhaseTimer {
    private static final long SAMPLE_MILLIS = 100;

    /** Starts the phase's work (it may also run it to the end); returns the moment the work began. */
    interface Phase {
        long start() throws Exception;
    }

    private PhaseTimer() {
    }

    /** Runs a phase and times it by when {@code expected} records of its output are visible to a read_committed reader. */
    static Throughput byOutputs(String bootstrap, String outputTopic, long expected, Duration timeout, Phase phase)
            throws Exception {
        long[] seen = new long[1];
        long[] first = {0, 0};
        long[] last = new long[1];
        // from the topic's end: earlier phases' output to the same topic does not count
        CommittedReader reader = CommittedReader.start(bootstrap, outputTopic, true, (key, visible) -> {
            if (seen[0]++ == 0) {
                first[0] = visible;
            }
            if (first[0] == visible) {
                first[1] = seen[0];
            }
            last[0] = visible;
            return seen[0] >= expected;
        }, timeout);
        long start = phase.start();
        reader.close();
        if (seen[0] < expected) {
            throw new IllegalStateException(outputTopic + ": only " + seen[0] + " of " + expected + " records within " + timeout);
        }
        return new Throughput(seen[0], start, first[0], first[1], last[0]);
    }

    /**
     * Runs a phase and times it by the committed offsets of consumer group {@code groupId}: first progress = the first
     * sample with offsets committed on {@code inputTopics}, done = every partition of the input committed to its end and
     * every partition of the group's repartition topics ({@code <groupId>-...-repartition}) committed past its last
     * record. The input must not grow during the phase.
     */
    static Throughput byCommittedInput(String bootstrap, String groupId, List<String> inputTopics, Duration timeout,
                                       Phase phase) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<TopicPartition> input = new ArrayList<>();
            for (String topic : inputTopics) {
                input.addAll(partitions(admin, topic));
            }
            Map<TopicPartition, Long> from = offsets(admin, input, OffsetSpec.earliest());
            Map<TopicPartition, Long> to = offsets(admin, input, OffsetSpec.latest());
            long records = input.stream().mapToLong(p -> to.get(p) - from.get(p)).sum();
            long start = phase.start();
            long deadline = start + timeout.toNanos();
            long firstNanos = 0;
            long firstBatch = 0;
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                long sampled = System.nanoTime();
                long done = input.stream().mapToLong(p -> committed.containsKey(p)
                        ? committed.get(p).offset() - from.get(p) : 0).sum();
                if (done > 0 && firstNanos == 0) {
                    firstNanos = sampled;
                    firstBatch = done;
                }
                // the input is complete first: then every write to the repartition topics is committed, their ends final
                if (done >= records && repartitionsDone(admin, groupId, committed)) {
                    return new Throughput(records, start, firstNanos, firstBatch, sampled);
                }
                Thread.sleep(SAMPLE_MILLIS);
            }
            throw new IllegalStateException(groupId + " did not commit the end of " + inputTopics + " within " + timeout);
        }
    }

    private static boolean repartitionsDone(Admin admin, String groupId, Map<TopicPartition, OffsetAndMetadata> committed)
            throws Exception {
        List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(t -> t.startsWith(groupId + "-") && t.endsWith("-repartition")).toList();
        for (String topic : topics) {
            List<TopicPartition> parts = partitions(admin, topic);
            Map<TopicPartition, Long> earliest = offsets(admin, parts, OffsetSpec.earliest());
            Map<TopicPartition, Long> latest = offsets(admin, parts, OffsetSpec.latest());
            for (TopicPartition p : parts) {
                OffsetAndMetadata c = committed.get(p);
                // a transactional topic ends with a commit marker, which a consumer may not have stepped over yet
                boolean done = c == null ? earliest.get(p).equals(latest.get(p)) : c.offset() >= latest.get(p) - 1;
                if (!done) {
                    return false;
                }
            }
        }
        return true;
    }

    static List<TopicPartition> partitions(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    /** read_committed offsets: "latest" is then the last stable offset, after every committed transaction. */
    static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec)
            throws Exception {
        Map<TopicPartition, OffsetSpec> request = partitions.stream()
                .collect(Collectors.toMap(Function.identity(), p -> spec));
        Map<TopicPartition, Long> result = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
                .forEach((p, info) -> result.put(p, info.offset()));
        return result;
    }
}
