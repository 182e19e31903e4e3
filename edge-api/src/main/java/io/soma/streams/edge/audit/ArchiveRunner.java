package io.soma.streams.edge.audit;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.dlq.DeadLetterLimit;
import io.soma.streams.schemas.dlq.DlqHeaders;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.archive.AuditArchiveWriter;
import io.soma.streams.stores.archive.AuditArchiver;
import io.soma.streams.stores.archive.AvroAuditTopics;
import io.soma.streams.stores.archive.RetryBackoff;
import io.soma.streams.stores.archive.SchemaMigrator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the PostgreSQL audit archive of this process: migrations at start (retried by the writer if PostgreSQL
 * is down now), the archiver consuming every audit topic of {@link AvroAuditTopics}, unreadable records to the
 * dead-letter topic, and its counters as metrics.
 */
public final class ArchiveRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ArchiveRunner.class);

    private final AuditArchiver archiver;
    private final KafkaProducer<byte[], byte[]> deadLetters;

    public ArchiveRunner(String bootstrapServers, SchemaRegistryClient registry, DataSource dataSource, String schema,
                         PrometheusRegistry metrics) {
        try {
            new SchemaMigrator(dataSource, schema).migrate();
        } catch (RuntimeException e) {
            log.warn("audit archive migration deferred until PostgreSQL answers: {}", e.getMessage());
        }
        this.deadLetters = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                DeadLetterLimit.MAX_RECORD_BYTES), new ByteArraySerializer(), new ByteArraySerializer());
        this.archiver = new AuditArchiver(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
                AvroAuditTopics.of(registry),
                new AuditArchiveWriter(dataSource, schema),
                this::deadLetter,
                new RetryBackoff(Duration.ofMillis(200), Duration.ofSeconds(30)));
        CounterWithCallback.builder().name("audit_archive_rows_total").help("Rows written to the audit archive")
                .callback(cb -> cb.call(archiver.archivedRows())).register(metrics);
        CounterWithCallback.builder().name("audit_archive_dead_letters_total")
                .help("Audit records that could not be read and went to soma.dlq")
                .callback(cb -> cb.call(archiver.deadLettered())).register(metrics);
        CounterWithCallback.builder().name("audit_archive_skipped_records_total")
                .help("Offsets of audit records retention deleted before they were archived (commit markers take "
                        + "offsets too: at most this many records are missing from the archive)")
                .callback(cb -> cb.call(archiver.skippedRecords())).register(metrics);
        GaugeWithCallback.builder().name("audit_archive_lag_records")
                .help("Audit records read from Kafka but not yet archived, plus consumer lag")
                .callback(cb -> cb.call(archiver.lag())).register(metrics);
        GaugeWithCallback.builder().name("audit_archive_consecutive_failures")
                .help("Failed archive attempts in a row (PostgreSQL down: the archive is behind)")
                .callback(cb -> cb.call(archiver.consecutiveFailures())).register(metrics);
        archiver.start();
    }

    /** @return null while the archiver runs, else why it stopped */
    public String problem() {
        return archiver.isRunning() ? null : "audit archiver stopped: " + archiver.fatalFailure();
    }

    /** Durable before the archiver commits past the record: a dead letter is never lost either. */
    private void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
        try {
            DeadLetterLimit.Parts fitted = DeadLetterLimit.fitted(record.key(), record.value(), DlqHeaders.of(
                    record.headers(), reason, null, record.topic(), record.partition(), record.offset(),
                    AuditArchiver.DEFAULT_GROUP_ID));
            deadLetters.send(new ProducerRecord<>(Topics.DEAD_LETTER, null, fitted.key(), fitted.value(),
                    fitted.headers())).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dead-lettering", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot dead-letter " + record.topic() + "@" + record.offset(), e);
        }
    }

    @Override
    public void close() {
        archiver.close();
        deadLetters.close();
    }
}
