package io.soma.streams.edge.replay;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.WireFormat;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drill's comparison on real decisions: the example policy's verdicts on the XSTest prompts, written once as the
 * live app would (schema id 7, one wall clock) and once as a rebuild would (schema id 42, a later wall clock).
 */
class OutputComparisonTest {
    private static final String TOPIC = Topics.POLICY_DECISIONS.name();
    private static final OutputComparison.Rules WALL_CLOCK = OutputComparison.Rules.clearing("evaluated_at", "evaluation_micros");
    private static final List<ConversationEvent> EVENTS = ReplayPlan.build(TestPaths.dataDir(), Instant.parse("2026-01-05T00:00:00Z"))
            .stream().map(ReplayPlan.Scheduled::event).filter(e -> e.getTenant().equals("xstest")).limit(200).toList();
    private static final CompiledPolicy POLICY = CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution());

    @Test
    void shouldFindTheRebuildIdentical_whenOnlyTheSchemaIdAndTheWallClockFieldsDiffer() {
        var result = compare(records(7, Instant.parse("2026-01-05T10:00:00Z"), UnaryOperator.identity()),
                records(42, Instant.parse("2026-03-01T08:30:00Z"), UnaryOperator.identity()));

        assertThat(EVENTS).hasSize(200);
        assertThat(result.same()).as(result.firstDifference()).isTrue();
        assertThat(result.identical()).isEqualTo(200);
    }

    @Test
    void shouldReportAChangedDecisionWithItsKeyAndField() {
        String changed = EVENTS.get(57).getSessionId();
        var rebuilt = records(42, Instant.now(), d -> d.getSessionId().equals(changed)
                ? PolicyDecision.newBuilder(d).setDecision(d.getDecision().equals("deny") ? "allow" : "deny").build() : d);

        var result = compare(records(7, Instant.now(), UnaryOperator.identity()), rebuilt);

        assertThat(result.differing()).isEqualTo(1);
        assertThat(result.identical()).isEqualTo(199);
        assertThat(result.firstDifference()).startsWith("key " + changed + ", record 1 of the key: field decision: ");
    }

    @Test
    void shouldReportAMissingRecordAndAChangedTimestamp() {
        List<ConsumerRecord<byte[], byte[]>> old = records(7, Instant.now(), UnaryOperator.identity());
        List<ConsumerRecord<byte[], byte[]>> rebuilt = new ArrayList<>(records(42, Instant.now(), UnaryOperator.identity()));
        rebuilt.remove(10);
        ConsumerRecord<byte[], byte[]> moved = rebuilt.get(20);
        rebuilt.set(20, record(moved.key(), moved.value(), moved.timestamp() + 1));

        var result = compare(old, rebuilt);

        assertThat(result.differing()).isEqualTo(2);
        assertThat(result.oldRecords() - result.newRecords()).isEqualTo(1);
        assertThat(result.firstDifference()).contains("only in the old output: ")
                .contains(EVENTS.get(10).getEventId());
    }

    @Test
    void shouldNotHideADifferenceInAFieldThatIsNotMasked() {
        var result = OutputComparison.compare(TOPIC, OutputComparison.Rules.exact(), records(7, Instant.EPOCH, UnaryOperator.identity()),
                records(42, Instant.EPOCH.plusMillis(1), UnaryOperator.identity()),
                id -> PolicyDecision.getClassSchema(), id -> PolicyDecision.getClassSchema());

        assertThat(result.differing()).isEqualTo(200);
        assertThat(result.firstDifference()).contains("field evaluated_at: ");
    }

    @Test
    void shouldCompareTheOrderWithinEachSequenceOfAKeyOnly() {
        // per session, a sequence per decision: the order between the sequences of a key is left free
        var bySequence = new OutputComparison.Rules(WALL_CLOCK.masked(), "decision", d -> d.get("decision").toString());
        List<ConsumerRecord<byte[], byte[]>> old = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> rebuilt = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> allowed = records(7, Instant.now(), d -> withSession(d, "one", "allow"));
        List<ConsumerRecord<byte[], byte[]>> denied = records(7, Instant.now(), d -> withSession(d, "one", "deny"));
        old.addAll(allowed.subList(0, 3));
        old.addAll(denied.subList(0, 3));
        rebuilt.addAll(denied.subList(0, 3));
        rebuilt.addAll(allowed.subList(0, 3));

        assertThat(OutputComparison.compare(TOPIC, bySequence, old, rebuilt, id -> PolicyDecision.getClassSchema(),
                id -> PolicyDecision.getClassSchema()).same()).isTrue();
        assertThat(compare(old, rebuilt).differing()).isPositive();
    }

    private static PolicyDecision withSession(PolicyDecision d, String session, String decision) {
        return PolicyDecision.newBuilder(d).setSessionId(session).setDecision(decision).build();
    }

    private static OutputComparison.TopicResult compare(List<ConsumerRecord<byte[], byte[]>> old,
                                                        List<ConsumerRecord<byte[], byte[]>> rebuilt) {
        return OutputComparison.compare(TOPIC, WALL_CLOCK, old, rebuilt,
                id -> PolicyDecision.getClassSchema(), id -> PolicyDecision.getClassSchema());
    }

    /** The decision on each event, framed with {@code schemaId}, as the app writes it: key session, event time. */
    private static List<ConsumerRecord<byte[], byte[]>> records(int schemaId, Instant wallClock,
                                                                UnaryOperator<PolicyDecision> change) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int i = 0; i < EVENTS.size(); i++) {
            ConversationEvent event = EVENTS.get(i);
            PolicyDecision decision = change.apply(PolicyAvro.decision(event, POLICY,
                    PolicyEvaluator.evaluate(new EvaluationInput(event.getContent(), event.getRole(), event.getTool(),
                            null), POLICY), wallClock.plusMillis(i), 100 + i % 7));
            out.add(record(decision.getSessionId().getBytes(StandardCharsets.UTF_8), framed(schemaId, decision),
                    event.getTimestamp().toEpochMilli()));
        }
        return out;
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value, long timestamp) {
        return new ConsumerRecord<>(TOPIC, 0, 0, timestamp, TimestampType.CREATE_TIME, key.length, value.length, key,
                value, new RecordHeaders(), Optional.empty());
    }

    private static byte[] framed(int schemaId, PolicyDecision decision) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(WireFormat.header(schemaId));
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<>(PolicyDecision.class).write(decision, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
