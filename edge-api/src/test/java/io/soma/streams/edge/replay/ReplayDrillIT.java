package io.soma.streams.edge.replay;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.edge.forecast.ForecastSlice;
import io.soma.streams.edge.policy.PolicySlice;
import io.soma.streams.edge.slm.SlmSlice;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.runtime.AppSerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replay drill at CI size: a Soma process on a stack of its own runs the policy, forecast and SLM apps over
 * real events of the replay plan (Azure trace, XSTest, LLMPerf) with the example constitution and rule pack; the
 * drill rebuilds their outputs under fresh application ids on a second broker and registry and finds every record
 * of every compared topic identical.
 */
class ReplayDrillIT {
    private static final Logger log = LoggerFactory.getLogger(ReplayDrillIT.class);
    private static final int EVENTS = 400;
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    // longer than the suite's default of 5 minutes on a loaded machine: two stacks of its own: the live one and the
    // rebuild
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldRebuildEveryDeterministicOutputIdentically() throws Exception {
        // one partition: the live windows are then those of events in event-time order, as the rebuild's are
        // (with several, a window can close before another partition's events are processed: docs/reliability.md)
        try (EdgeFixture process = EdgeFixture.onOwnStack(Map.of(
                        "topics.partitions", "1",
                        "constitution.trusted.keys", "example",
                        "policy.load.examples", "true"),
                List.of(IdentitySlice::start, PolicySlice::start, ForecastSlice::start, SlmSlice::start));
             KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(
                     Map.of("bootstrap.servers", process.config().bootstrapServers(), "linger.ms", 5),
                     new StringSerializer(), new AvroSerializer<>(
                             new SchemaRegistryClient(process.config().schemaRegistryUrl()), false, true))) {
            String bootstrap = process.config().bootstrapServers();
            // events evaluated before the example constitution is served would be decided without it
            CommittedRecords.await(bootstrap, Topics.CONSTITUTION_ACTIVE.name(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer(), r -> true, 1, TIMEOUT);
            ReplayDrill.awaitConstitutionsServed(process.streams(PolicyApp.APPLICATION_ID), bootstrap,
                    new AppSerdes(new SchemaRegistryClient(process.config().schemaRegistryUrl()))
                            .value(Topics.CONSTITUTION_ACTIVE).deserializer(), TIMEOUT);

            List<ConversationEvent> events = planEvents();
            events.forEach(e -> producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), null,
                    e.getTimestamp().toEpochMilli(), e.getSessionId(), e)));
            producer.flush();
            CommittedRecords.await(bootstrap, Topics.POLICY_DECISIONS.name(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer(), r -> true, EVENTS, TIMEOUT);

            ReplayReport report = new ReplayDrill(bootstrap, process.config().schemaRegistryUrl(),
                    process.config().settings(), TestPaths.newWorkDir("replay"), TIMEOUT).run();
            log.info("replay drill report:\n{}", report);

            assertThat(report.copied()).containsEntry(Topics.CONVERSATION_EVENTS.name(), (long) EVENTS);
            assertThat(report.inputsArrivedDuring()).isZero();
            for (OutputComparison.TopicResult result : report.results()) {
                assertThat(result.same()).as(result.topic() + ": " + result.firstDifference()).isTrue();
                assertThat(result.oldRecords()).as(result.topic() + " has records").isPositive();
                assertThat(result.newRecords()).as(result.topic()).isEqualTo(result.oldRecords());
            }
            assertThat(report.result(Topics.POLICY_DECISIONS.name()).identical()).isEqualTo(EVENTS);
            assertThat(report.identical()).isTrue();
        }
    }

    /** {@value #EVENTS} events spread evenly over the whole replay plan, so every dataset is in them, a day ago. */
    private static List<ConversationEvent> planEvents() {
        List<ReplayPlan.Scheduled> plan = ReplayPlan.build(TestPaths.dataDir(),
                Instant.now().minus(Duration.ofDays(1)).truncatedTo(ChronoUnit.HOURS));
        List<ConversationEvent> events = new ArrayList<>(EVENTS);
        for (int i = 0; i < EVENTS; i++) {
            events.add(plan.get((int) ((long) i * plan.size() / EVENTS)).event());
        }
        return events;
    }
}
