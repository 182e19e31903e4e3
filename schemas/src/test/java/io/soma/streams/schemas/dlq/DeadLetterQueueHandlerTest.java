package io.soma.streams.schemas.dlq;

import io.soma.streams.schemas.serde.BadMagicByteException;
import io.soma.streams.schemas.serde.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterQueueHandlerTest {
    private final DeadLetterQueueHandler handler = new DeadLetterQueueHandler();
    private ConsumerRecord<byte[], byte[]> poison;

    @BeforeEach
    void setUp() {
        handler.configure(Map.of("application.id", "soma-policy"));
        Headers headers = new RecordHeaders().add("traceparent", bytes("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        poison = new ConsumerRecord<>("conversation.events", 2, 41L, 0L, TimestampType.CREATE_TIME, 3, 7,
                bytes("s-1"), bytes("garbage"), headers, Optional.empty());
    }

    @Test
    void shouldSendTheRawRecordToTheDeadLetterTopicWithItsProvenanceAndContinue() {
        BadMagicByteException failure = new BadMagicByteException("conversation.events", (byte) 'g');

        DeserializationExceptionHandler.Response response = handler.handleError(null, poison, failure);

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        assertThat(response.deadLetterQueueRecords()).hasSize(1);
        ProducerRecord<byte[], byte[]> deadLetter = response.deadLetterQueueRecords().get(0);
        assertThat(deadLetter.topic()).isEqualTo("soma.dlq");
        assertThat(deadLetter.key()).isEqualTo(bytes("s-1"));
        assertThat(deadLetter.value()).isEqualTo(bytes("garbage"));
        assertThat(header(deadLetter, DlqHeaders.REASON)).isEqualTo(failure.getMessage());
        assertThat(header(deadLetter, DlqHeaders.EXCEPTION)).isEqualTo(BadMagicByteException.class.getName());
        assertThat(header(deadLetter, DlqHeaders.SOURCE_TOPIC)).isEqualTo("conversation.events");
        assertThat(header(deadLetter, DlqHeaders.SOURCE_PARTITION)).isEqualTo("2");
        assertThat(header(deadLetter, DlqHeaders.SOURCE_OFFSET)).isEqualTo("41");
        assertThat(header(deadLetter, DlqHeaders.APP)).isEqualTo("soma-policy");
        assertThat(header(deadLetter, "traceparent")).startsWith("00-4bf92f35");
    }

    /**
     * A failed send is no record's fault: retried when retriable, else the task fails, as Kafka Streams' default
     * handler does. Not overridden, the interface's default threw, and every failed send became a "fatal user code
     * error" that killed the stream thread.
     */
    @Test
    void shouldRetryARetriableSendAndFailAnyOtherAsKafkaStreamsDoesByDefault() {
        ProducerRecord<byte[], byte[]> sent = new ProducerRecord<>("policy.decisions", bytes("s-1"), bytes("allow"));

        ProductionExceptionHandler.Response retried = handler.handleError(null, sent, new TimeoutException("expired"));
        ProductionExceptionHandler.Response failed = handler.handleError(null, sent,
                new RecordTooLargeException("over max.message.bytes"));

        assertThat(retried.result()).isEqualTo(ProductionExceptionHandler.Result.RETRY);
        assertThat(failed.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(retried.deadLetterQueueRecords()).isEmpty();
        assertThat(failed.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void shouldKeepARecordAtTheBrokersDefaultLimitWhole() {
        byte[] atLimit = new byte[1024 * 1024];
        var response = handler.handleError(null, record(atLimit, new RecordHeaders()),
                new BadMagicByteException("conversation.events", (byte) 1));

        ProducerRecord<byte[], byte[]> deadLetter = response.deadLetterQueueRecords().get(0);
        assertThat(deadLetter.value()).isEqualTo(atLimit);
        assertThat(deadLetter.headers().lastHeader(DlqHeaders.OMITTED)).isNull();
    }

    @Test
    void shouldLeaveOutWhatWouldNotFitAndSayWhere() {
        byte[] large = new byte[DeadLetterLimit.MAX_RECORD_BYTES];
        Headers headers = new RecordHeaders().add("traceparent", bytes("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        var response = handler.handleError(null, record(large, headers), new BadMagicByteException("conversation.events", (byte) 1));

        ProducerRecord<byte[], byte[]> deadLetter = response.deadLetterQueueRecords().get(0);
        assertThat(deadLetter.key()).isNull();
        assertThat(deadLetter.value()).isNull();
        assertThat(deadLetter.headers().lastHeader("traceparent")).isNull();
        assertThat(header(deadLetter, DlqHeaders.SOURCE_OFFSET)).isEqualTo("41");
        assertThat(header(deadLetter, DlqHeaders.OMITTED)).startsWith("key 3 bytes, value " + large.length + " bytes, record with its headers up to ");
    }

    @Test
    void shouldCountEachHeadersFramingAndKeepOnlyTheHeadersItWrites() {
        // the value alone fits; 3,000 headers of one letter and no value add 33,000 bytes of framing, not 3,000
        byte[] value = new byte[DeadLetterLimit.MAX_COPY_BYTES - 10_000];
        Headers headers = new RecordHeaders().add("dlq.custom", bytes("x".repeat(100)));
        for (int i = 0; i < 3000; i++) {
            headers.add("a", null);
        }

        ProducerRecord<byte[], byte[]> deadLetter = handler.handleError(null, record(value, headers),
                new BadMagicByteException("conversation.events", (byte) 1)).deadLetterQueueRecords().get(0);

        assertThat(deadLetter.value()).isNull();
        assertThat(deadLetter.headers().lastHeader("dlq.custom")).isNull();
        assertThat(deadLetter.headers().toArray()).extracting(h -> h.key()).containsExactlyInAnyOrder(
                DlqHeaders.REASON, DlqHeaders.EXCEPTION, DlqHeaders.SOURCE_TOPIC, DlqHeaders.SOURCE_PARTITION,
                DlqHeaders.SOURCE_OFFSET, DlqHeaders.APP, DlqHeaders.OMITTED);
    }

    @Test
    void shouldCutALongReasonWithoutSplittingACharacter() {
        var response = handler.handleError(null, poison, new IllegalArgumentException("x".repeat(100_000)));
        // an emoji (two UTF-16 chars) across the cut
        String emojis = "x".repeat(DlqHeaders.MAX_REASON_CHARS - 1) + "😀".repeat(10);
        var split = handler.handleError(null, poison, new IllegalArgumentException(emojis));

        assertThat(header(response.deadLetterQueueRecords().get(0), DlqHeaders.REASON))
                .hasSize(DlqHeaders.MAX_REASON_CHARS + 1);
        assertThat(header(split.deadLetterQueueRecords().get(0), DlqHeaders.REASON))
                .isEqualTo("x".repeat(DlqHeaders.MAX_REASON_CHARS - 1) + "…");
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] value, Headers headers) {
        return new ConsumerRecord<>("conversation.events", 2, 41L, 0L, TimestampType.CREATE_TIME, 3, value.length,
                bytes("s-1"), value, headers, Optional.empty());
    }

    @Test
    void shouldUseTheConfiguredDeadLetterTopic() {
        handler.configure(Map.of("errors.dead.letter.queue.topic.name", "soma.dlq.policy"));

        var response = handler.handleError(null, poison, new BadMagicByteException("conversation.events", (byte) 1));

        assertThat(response.deadLetterQueueRecords().get(0).topic()).isEqualTo("soma.dlq.policy");
    }

    @Test
    void shouldFailRatherThanDeadLetterWhenTheRegistryIsUnreachable() {
        var unreachable = new SchemaRegistryException("GET http://127.0.0.1:1/schemas/ids/1",
                SchemaRegistryException.NO_RESPONSE, 0, "java.net.ConnectException", null);

        var response = handler.handleError(null, poison, unreachable);

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void shouldFailRatherThanDeadLetterWhenTheRegistryRefusesTheClientsCredentials() {
        var refused = new SchemaRegistryException("GET http://127.0.0.1:8081/schemas/ids/1", 401, 40101,
                "Unauthorized", null);

        var response = handler.handleError(null, poison, new SerializationException("cannot read", refused));

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void shouldDeadLetterARecordWhoseSchemaTheRegistryDoesNotKnowOrLetsTheClientRead() {
        // a 403 for one id: a registry that authorizes per subject, and a record whose schema is in one it may not read
        for (int status : new int[] {404, 403}) {
            var refused = new SchemaRegistryException("GET http://127.0.0.1:8081/schemas/ids/999", status,
                    status * 100 + 3, "no", null);

            var response = handler.handleError(null, poison, refused);

            assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
            assertThat(response.deadLetterQueueRecords()).hasSize(1);
        }
    }

    @Test
    void shouldReplaceEarlierDeadLetterHeadersWhenARecordIsDeadLetteredAgain() {
        Headers headers = DlqHeaders.of(null, "first", null, "a", 0, 1L, "app-1");

        DlqHeaders.addTo(headers, "second", null, "b", 3, 4L, "app-2");

        assertThat(headers.headers(DlqHeaders.REASON)).hasSize(1);
        assertThat(new String(headers.lastHeader(DlqHeaders.SOURCE_TOPIC).value(), StandardCharsets.UTF_8)).isEqualTo("b");
        assertThat(headers.lastHeader(DlqHeaders.EXCEPTION)).isNull();
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
