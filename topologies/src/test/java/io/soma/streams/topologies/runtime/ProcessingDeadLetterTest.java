package io.soma.streams.topologies.runtime;

import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every app's settings: a record a processor throws on, or whose output cannot be written, goes to soma.dlq with the
 * reason, and the app goes on.
 */
class ProcessingDeadLetterTest {

    @Test
    void shouldDeadLetterARecordWhoseProcessingThrowsAndProcessTheNextOne(@TempDir Path stateDir) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> {
                    if (v.isBlank()) {
                        throw new IllegalArgumentException("a blank prompt has nothing to evaluate");
                    }
                    return v.toUpperCase();
                })
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        assertTheBlankOfThreeIsDeadLettered(builder, stateDir, "a blank prompt has nothing to evaluate",
                IllegalArgumentException.class);
    }

    /**
     * A punctuator that throws has no record to dead-letter: Kafka hands the handler none, and an empty dead letter
     * (null key and value, no source) went out at every interval. The failure is logged, the app goes on, and the
     * punctuator runs again at its next interval.
     */
    @Test
    void shouldGoOnWithoutAnEmptyDeadLetterWhenAPunctuatorThrows(@TempDir Path stateDir) {
        AtomicInteger punctuations = new AtomicInteger();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .process(() -> new Processor<String, String, String, String>() {
                    private ProcessorContext<String, String> context;

                    @Override
                    public void init(ProcessorContext<String, String> context) {
                        this.context = context;
                        context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, now -> {
                            if (punctuations.incrementAndGet() == 1) {
                                throw new IllegalStateException("a ledger that cannot roll");
                            }
                        });
                    }

                    @Override
                    public void process(Record<String, String> record) {
                        context.forward(record.withValue(record.value().toUpperCase()));
                    }
                })
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        try (TopologyTestDriver driver = driver(builder, stateDir)) {
            var in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            var out = driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
            var dlq = driver.createOutputTopic(Topics.DEAD_LETTER, new StringDeserializer(), new StringDeserializer());

            in.pipeInput("s-1", "first");
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            in.pipeInput("s-2", "second");
            driver.advanceWallClockTime(Duration.ofSeconds(1));

            assertThat(punctuations).hasValue(2);
            assertThat(out.readValuesToList()).containsExactly("FIRST", "SECOND");
            assertThat(dlq.readRecordsToList()).isEmpty();
        }
    }

    /**
     * A record whose output cannot be serialized failed the thread, and the replaced thread failed on it again: the
     * partition stalled for good. Now the source record is dead-lettered and the next one is processed.
     */
    @Test
    void shouldDeadLetterARecordWhoseOutputCannotBeWrittenAndProcessTheNextOne(@TempDir Path stateDir) {
        Serializer<String> refusingBlank = (topic, value) -> {
            if (value.isBlank()) {
                throw new SerializationException("cannot write Probe: id is required");
            }
            return value.getBytes(StandardCharsets.UTF_8);
        };
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> v.toUpperCase())
                .to("out", Produced.with(Serdes.String(), Serdes.serdeFrom(refusingBlank, new StringDeserializer())));
        assertTheBlankOfThreeIsDeadLettered(builder, stateDir, "cannot write Probe: id is required",
                SerializationException.class);
    }

    /**
     * Kafka Streams releases a record's bytes once an output of it is written: a second output that cannot be
     * written dead-letters the record without them, and the dead letter says so and where to read it.
     */
    @Test
    void shouldSayWhereToReadARecordWhoseBytesWereReleasedBeforeItsOutputFailed(@TempDir Path stateDir) {
        StreamsBuilder builder = new StreamsBuilder();
        var upper = builder.stream("in", Consumed.with(Serdes.String(), Serdes.String())).mapValues(v -> v.toUpperCase());
        upper.to("out", Produced.with(Serdes.String(), Serdes.String()));
        upper.to("audit", Produced.with(Serdes.String(), Serdes.serdeFrom((topic, value) -> {
            throw new SerializationException("cannot write Audit: actor is required");
        }, new StringDeserializer())));
        try (TopologyTestDriver driver = driver(builder, stateDir)) {
            driver.createInputTopic("in", new StringSerializer(), new StringSerializer()).pipeInput("s-1", "first");
            var out = driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
            var dlq = driver.createOutputTopic(Topics.DEAD_LETTER, new StringDeserializer(), new StringDeserializer());

            assertThat(out.readValuesToList()).containsExactly("FIRST");
            TestRecord<String, String> dead = dlq.readRecord();
            assertThat(dead.key()).isNull();
            assertThat(dead.value()).isNull();
            assertThat(header(dead, DlqHeaders.OMITTED)).contains("read the record at dlq.source.*");
            assertThat(header(dead, DlqHeaders.SOURCE_TOPIC)).isEqualTo("in");
            assertThat(header(dead, DlqHeaders.SOURCE_OFFSET)).isEqualTo("0");
        }
    }

    /** A registry that refuses the schema would refuse every record of it: none is dead-lettered, the task fails. */
    @Test
    void shouldFailRatherThanDeadLetterWhenTheRegistryRefusesTheOutputSchema(@TempDir Path stateDir) {
        Serializer<String> refusedSchema = (topic, value) -> {
            throw new SerializationException("cannot register Probe under subject out-value",
                    new SchemaRegistryException("POST /subjects/out-value/versions", 409, 409, "incompatible", null));
        };
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .to("out", Produced.with(Serdes.String(), Serdes.serdeFrom(refusedSchema, new StringDeserializer())));
        try (TopologyTestDriver driver = driver(builder, stateDir)) {
            var in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            var dlq = driver.createOutputTopic(Topics.DEAD_LETTER, new StringDeserializer(), new StringDeserializer());

            assertThatThrownBy(() -> in.pipeInput("s-1", "first")).isInstanceOf(StreamsException.class)
                    .hasRootCauseInstanceOf(SchemaRegistryException.class);
            assertThat(dlq.readRecordsToList()).isEmpty();
        }
    }

    /**
     * Pipes "first", a blank and "third": the two are processed (upper-cased), the blank is dead-lettered as it was
     * read, with the reason and its source.
     */
    private static void assertTheBlankOfThreeIsDeadLettered(StreamsBuilder builder, Path stateDir, String reason,
                                                            Class<? extends Exception> exception) {
        try (TopologyTestDriver driver = driver(builder, stateDir)) {
            var in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            var out = driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
            var dlq = driver.createOutputTopic(Topics.DEAD_LETTER, new StringDeserializer(), new StringDeserializer());

            in.pipeInput("s-1", "first");
            in.pipeInput("s-2", " ");
            in.pipeInput("s-3", "third");

            assertThat(out.readValuesToList()).containsExactly("FIRST", "THIRD");
            List<TestRecord<String, String>> deadLetters = dlq.readRecordsToList();
            assertThat(deadLetters).hasSize(1);
            TestRecord<String, String> dead = deadLetters.get(0);
            assertThat(dead.key()).isEqualTo("s-2");
            assertThat(dead.value()).isEqualTo(" ");
            assertThat(header(dead, DlqHeaders.REASON)).isEqualTo(reason);
            assertThat(header(dead, DlqHeaders.EXCEPTION)).isEqualTo(exception.getName());
            assertThat(header(dead, DlqHeaders.SOURCE_TOPIC)).isEqualTo("in");
            assertThat(header(dead, DlqHeaders.SOURCE_OFFSET)).isEqualTo("1");
            assertThat(header(dead, DlqHeaders.APP)).isEqualTo("soma-test");
        }
    }

    /** The topology under every app's settings: the dead-letter handlers among them. */
    private static TopologyTestDriver driver(StreamsBuilder builder, Path stateDir) {
        Properties props = StreamsSettings.local("127.0.0.1:9", "http://127.0.0.1:9", stateDir).forApp("soma-test");
        return new TopologyTestDriver(builder.build(), props);
    }

    private static String header(TestRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
