package io.soma.streams.stores.archive;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Copies the audit topics into PostgreSQL. Each poll is mapped, written in one transaction, and only then are
 * its offsets committed — so every record is archived at least once, and the primary keys make "at least once"
 * exactly one row. While PostgreSQL is down the archiver keeps the same records, pauses its partitions (still
 * polling, so it stays in the group) and retries with exponential backoff; it never skips ahead. A read the brokers
 * refuse is retried the same way, not ended: the failures are counted ({@link #consecutiveFailures()}). Records that
 * cannot be read or mapped go to the dead-letter handler with a reason, never silently away. Records that retention
 * deleted before they were archived cannot be read: the archiver says how many, at ERROR and in
 * {@link #skippedRecords()}, rather than letting a reset policy jump past them unseen.
 */
public final class AuditArchiver implements AutoCloseable {
    public static final String DEFAULT_GROUP_ID = "soma-audit-archive";
    public static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    private static final Logger log = LoggerFactory.getLogger(AuditArchiver.class);
    /** How long to wait for the end offsets behind {@link #lag()} before keeping the last value. */
    private static final Duration LAG_TIMEOUT = Duration.ofSeconds(2);
    /** How often at most to ask the broker for them. */
    private static final Duration LAG_REFRESH = Duration.ofSeconds(5);

    private final Map<String, Object> consumerConfig;
    private final Map<String, AuditTopic<?>> topics = new LinkedHashMap<>();
    private final AuditArchiveWriter writer;
    private final BiConsumer<ConsumerRecord<byte[], byte[]>, String> deadLetters;
    private final RetryBackoff backoff;

    private final AtomicLong archivedRows = new AtomicLong();
    private final AtomicLong duplicateRows = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile int consecutiveFailures;
    private volatile long lag;
    private volatile String lastFailure;
    private volatile String fatalFailure;
    private volatile boolean running;

    private KafkaConsumer<byte[], byte[]> consumer;
    private volatile Thread thread;
    /** The batch being archived; only the archiver thread touches it (the rebalance listener runs inside poll). */
    private Batch pending;
    /** When {@link #updateLag} last asked the broker for end offsets (System.nanoTime). */
    private long endsAskedAt = System.nanoTime() - LAG_REFRESH.toNanos();

    /**
     * @param consumerConfig {@code bootstrap.servers} and any client settings (security, {@code group.id} — by
     *                       default {@value #DEFAULT_GROUP_ID}); isolation, commits and byte deserializers are
     *                       set here
     * @param topics         the archived topics with their deserializer and mapper (deserializers are neither
     *                       configured nor closed here: the caller owns them)
     * @param deadLetters    receives each record that cannot be archived and why (wire it to {@code soma.dlq});
     *                       if it throws, the batch is retried like a failed write
     */
    public AuditArchiver(Map<String, Object> consumerConfig, List<AuditTopic<?>> topics, AuditArchiveWriter writer,
                         BiConsumer<ConsumerRecord<byte[], byte[]>, String> deadLetters, RetryBackoff backoff) {
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("no topics to archive");
        }
        Map<String, Object> config = new HashMap<>(consumerConfig);
        config.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, DEFAULT_GROUP_ID);
        // no reset policy: a position lost to retention is placed by hand, and the loss said (see poll)
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, config.get(ConsumerConfig.GROUP_ID_CONFIG) + "-archiver");
        // aborted transactions are not decisions that happened
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        this.consumerConfig = Map.copyOf(config);
        for (AuditTopic<?> topic : topics) {
            if (this.topics.put(topic.topic(), topic) != null) {
                throw new IllegalArgumentException("topic " + topic.topic() + " given twice");
            }
        }
        this.writer = writer;
        this.deadLetters = deadLetters;
        this.backoff = backoff;
    }

    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        consumer = new KafkaConsumer<>(consumerConfig);
        running = true;
        thread = new Thread(this::run, "soma-audit-archiver");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops after the current attempt; records not yet committed are archived by the next run. */
    @Override
    public synchronized void close() {
        if (thread == null) {
            return;
        }
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }

    /** Rows newly written to PostgreSQL. */
    public long archivedRows() {
        return archivedRows.get();
    }

    /** Rows that were already archived (a replay, or a retry after a commit that did not happen). */
    public long duplicateRows() {
        return duplicateRows.get();
    }

    public long deadLettered() {
        return deadLettered.get();
    }

    /**
     * Offsets of records retention deleted before they were archived: gone from Kafka and missing from the archive.
     * An upper bound of the records: a transactional topic's commit markers take offsets too.
     */
    public long skippedRecords() {
        return skipped.get();
    }

    /** Failed attempts since the last success: above 0 means the archive is behind and retrying. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Records not yet archived: the held batch plus what is left to fetch, also while paused. */
    public long lag() {
        return lag;
    }

    /** Why the last attempt failed, or null; no credentials are in it. */
    public String lastFailure() {
        return lastFailure;
    }

    /** True while the thread runs; false after close or after a failure it cannot retry ({@link #fatalFailure()}). */
    public boolean isRunning() {
        return running && thread != null && thread.isAlive();
    }

    public String fatalFailure() {
        return fatalFailure;
    }

    private void run() {
        try {
            consumer.subscribe(topics.keySet(), new KeepBatchOnRebalance());
            while (running) {
                if (pending == null && !tryPoll()) {
                    continue;
                }
                if (pending != null && !tryArchive(pending)) {
                    waitBeforeRetry();
                }
                updateLag();
            }
        } catch (WakeupException | InterruptException e) {
            if (running) {
                fail(e);
            }
        } catch (RuntimeException e) {
            fail(e);
        } finally {
            running = false;
            commitWrittenBatchOnClose();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** A close that interrupted the commit of a written batch finishes it, so the next start does not re-read it. */
    private void commitWrittenBatchOnClose() {
        if (pending == null || !pending.rowsWritten || !pending.deadLetters.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(pending.offsets, Duration.ofSeconds(5));
            pending = null;
        } catch (RuntimeException e) {
            log.info("audit archive: offsets of {} archived records not committed on close ({}); they will be read "
                    + "again and found archived", pending.size(), e.getMessage());
        }
    }

    /**
     * Polls the next batch, if any. A poll the brokers refuse (a read ACL missing, an authentication failing, a batch
     * that cannot be read) is retried with the backoff, counted as a failure like a failed write: ending the thread
     * would fail the process's liveness, and restart the API with it, for what no restart mends.
     *
     * @return false when the poll failed (and the backoff has been waited)
     */
    private boolean tryPoll() {
        ConsumerRecords<byte[], byte[]> records = pollOrWait(POLL_TIMEOUT);
        if (records == null) {
            return false;
        }
        if (consecutiveFailures > 0) {
            log.info("audit archive reads again after {} failed attempts", consecutiveFailures);
            consecutiveFailures = 0;
            lastFailure = null;
        }
        if (!records.isEmpty()) {
            pending = new Batch(records);
        }
        return true;
    }

    /**
     * Polls; a read the brokers refuse (an ACL, authentication, a broker away) is counted as a failed attempt and
     * waited for as the backoff says, like a failed write: ended, the archiver would fail the process's liveness.
     *
     * @return null when the read failed
     */
    private ConsumerRecords<byte[], byte[]> pollOrWait(Duration timeout) {
        try {
            return poll(timeout);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            int attempt = ++consecutiveFailures;
            lastFailure = "reading the audit topics failed: " + describe(e);
            log.warn("audit archive: {} (attempt {}); retrying in {} ms", lastFailure, attempt,
                    backoff.delay(attempt).toMillis());
            sleepWhileRunning(backoff.delay(attempt));
            return null;
        }
    }

    private void sleepWhileRunning(Duration time) {
        long until = System.nanoTime() + time.toNanos();
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void fail(RuntimeException e) {
        fatalFailure = e.getClass().getSimpleName() + ": " + e.getMessage();
        log.error("audit archive stopped: {}", fatalFailure, e);
    }

    /**
     * Deserializes and maps the batch's records; one that cannot be archived becomes a dead letter, unless its
     * topic calls the failure transient (e.g. the schema registry is unreachable): then the whole step is retried.
     */
    private void read(Batch batch) {
        List<ArchiveRow> rows = new ArrayList<>(batch.records.size());
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : batch.records) {
            AuditTopic<?> topic = topics.get(record.topic());
            String where = cannotArchive(record);
            ArchiveRow row;
            try {
                row = topic.toRow(record);
            } catch (RuntimeException e) {
                if (topic.isTransient(e)) {
                    throw e;
                }
                letters.add(new DeadLetter(record, where + e.getClass().getSimpleName() + ": " + e.getMessage()));
                continue;
            }
            String unstorable = AuditArchiveWriter.unstorable(row);
            if (unstorable != null) {
                letters.add(new DeadLetter(record, where + unstorable));
            } else {
                rows.add(row);
            }
        }
        batch.rows = rows;
        batch.deadLetters = letters;
    }

    /** One attempt at the remaining steps of a batch: read, write rows, hand over dead letters, commit offsets. */
    private boolean tryArchive(Batch batch) {
        String step = "reading " + batch.size() + " records";
        try {
            if (batch.rows == null) {
                read(batch);
            }
            step = "writing " + batch.rows.size() + " rows to PostgreSQL";
            if (!batch.rowsWritten) {
                writeRows(batch);
                batch.rowsWritten = true;
            }
            step = "handing " + batch.deadLetters.size() + " records to the dead-letter path";
            while (!batch.deadLetters.isEmpty()) {
                DeadLetter letter = batch.deadLetters.get(0);
                deadLetters.accept(letter.record(), letter.reason());
                batch.deadLetters.remove(0);
                deadLettered.incrementAndGet();
            }
            step = "committing offsets";
            consumer.commitSync(batch.offsets);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (Exception e) {
            int attempt = ++consecutiveFailures;
            lastFailure = step + " failed: " + describe(e);
            log.warn("audit archive: {} (attempt {}); keeping {} records and retrying in {} ms", lastFailure, attempt,
                    batch.size(), backoff.delay(attempt).toMillis());
            return false;
        }
        if (consecutiveFailures > 0) {
            log.info("audit archive caught up after {} failed attempts", consecutiveFailures);
        }
        consecutiveFailures = 0;
        lastFailure = null;
        pending = null;
        consumer.resume(consumer.paused());
        return true;
    }

    /**
     * Writes the batch's rows in one transaction. When PostgreSQL refuses it for what a row holds, writes them one by
     * one and moves each row it refuses to the dead letters, so one row never stalls the archive; a refused row is
     * taken out of the batch, so a retry after a failure midway does not dead-letter it twice.
     */
    private void writeRows(Batch batch) throws SQLException {
        try {
            count(writer.write(batch.rows));
            return;
        } catch (SQLException e) {
            if (!AuditArchiveWriter.refusesContent(e)) {
                throw e;
            }
            log.warn("audit archive: PostgreSQL refused a batch of {} rows for what a row holds ({}); writing them "
                    + "one by one", batch.rows.size(), describe(e));
        }
        for (ArchiveRow row : List.copyOf(batch.rows)) {
            try {
                count(writer.write(List.of(row)));
            } catch (SQLException e) {
                if (!AuditArchiveWriter.refusesContent(e)) {
                    throw e;
                }
                KafkaSource source = row.source();
                ConsumerRecord<byte[], byte[]> record = batch.records.stream()
                        .filter(r -> r.topic().equals(source.topic()) && r.partition() == source.partition()
                                && r.offset() == source.offset())
                        .findFirst().orElseThrow();
                batch.deadLetters.add(new DeadLetter(record, cannotArchive(record) + "PostgreSQL refuses the row: "
                        + describe(e)));
                batch.rows.remove(row);
            }
        }
    }

    private static String cannotArchive(ConsumerRecord<byte[], byte[]> record) {
        return "cannot archive " + record.topic() + "/" + record.partition() + "@" + record.offset() + ": ";
    }

    private void count(AuditArchiveWriter.WriteResult result) {
        archivedRows.addAndGet(result.inserted());
        duplicateRows.addAndGet(result.alreadyPresent());
    }

    /**
     * A short cause for logs and {@link #lastFailure()}: a failed batch's message quotes the whole statement with
     * its values, so for SQL errors the driver's underlying reason and SQLState are given instead.
     */
    static String describe(Exception e) {
        String text;
        if (e instanceof SQLException sql) {
            SQLException reason = sql.getNextException() != null ? sql.getNextException() : sql;
            text = "SQLState " + sql.getSQLState() + ": " + reason.getMessage();
        } else {
            text = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return text.length() <= 300 ? text : text.substring(0, 300) + "…";
    }

    /** Sleeps in poll with every partition paused: no new records, but the consumer stays in its group. */
    private void waitBeforeRetry() {
        consumer.pause(consumer.assignment());
        ConsumerRecords<byte[], byte[]> unexpected = pollOrWait(backoff.delay(consecutiveFailures));
        if (unexpected == null) {
            return;
        }
        // a partition assigned while waiting is paused by the listener; should records slip through, re-read them later
        Map<TopicPartition, Long> firstOffsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : unexpected) {
            firstOffsets.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
        }
        firstOffsets.forEach(consumer::seek);
    }

    /**
     * Polls. A partition without a valid position is placed here, not by a reset policy: from its beginning for a
     * group that never committed; after records retention deleted unread, from the first that is left, saying how
     * many were lost.
     */
    private ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        try {
            return consumer.poll(timeout);
        } catch (NoOffsetForPartitionException e) {
            consumer.seekToBeginning(e.partitions());
        } catch (OffsetOutOfRangeException e) {
            try {
                placeAfterLostRecords(e.offsetOutOfRangePartitions());
            } catch (WakeupException | InterruptException stop) {
                throw stop;
            } catch (KafkaException unanswered) {
                // the positions stay invalid: the next poll finds them again and retries
                log.warn("audit archive: cannot place {} after records lost to retention yet: {}",
                        e.offsetOutOfRangePartitions().keySet(), unanswered.getMessage());
            }
        }
        return ConsumerRecords.empty();
    }

    private void placeAfterLostRecords(Map<TopicPartition, Long> wanted) {
        Map<TopicPartition, Long> firsts = consumer.beginningOffsets(wanted.keySet());
        Map<TopicPartition, OffsetAndMetadata> lost = new HashMap<>();
        wanted.forEach((partition, offset) -> {
            long first = firsts.get(partition);
            if (offset < first) {
                // offsets, not records: a transactional topic's commit markers take offsets too
                skipped.addAndGet(first - offset);
                log.error("audit archive: offsets {} to {} of {} were deleted by retention before they were archived "
                        + "(up to {} records); archiving goes on from offset {}", offset, first - 1, partition,
                        first - offset, first);
                lost.put(partition, new OffsetAndMetadata(first));
            } else {
                // duplicates are recognised by their keys: reading again loses nothing
                log.error("audit archive: offset {} of {} is past its end: the topic was recreated or lost its "
                        + "last records; archiving it again from offset {}", offset, partition, first);
            }
            consumer.seek(partition, first);
        });
        // committed, the loss is said once, not again after a restart; unless a held batch still needs the offsets
        if (pending != null) {
            lost.keySet().removeAll(pending.offsets.keySet());
        }
        if (!lost.isEmpty()) {
            try {
                consumer.commitSync(lost);
            } catch (WakeupException | InterruptException e) {
                throw e;
            } catch (KafkaException e) {
                log.warn("audit archive: the offsets after the lost records are not committed yet: {}", e.getMessage());
            }
        }
    }

    /** The held batch plus, per partition, end − position: asked of the broker where no fetch tells it (paused, new). */
    private void updateLag() {
        long behind = pending == null ? 0 : pending.size();
        Set<TopicPartition> paused = consumer.paused();
        Set<TopicPartition> unknown = new HashSet<>();
        for (TopicPartition partition : consumer.assignment()) {
            OptionalLong known = paused.contains(partition) ? OptionalLong.empty() : consumer.currentLag(partition);
            if (known.isPresent()) {
                behind += known.getAsLong();
            } else {
                unknown.add(partition);
            }
        }
        if (!unknown.isEmpty()) {
            // a partition no fetch tells of may stay so (its leader gone): asked at most every LAG_REFRESH
            long now = System.nanoTime();
            if (now - endsAskedAt < LAG_REFRESH.toNanos()) {
                return;
            }
            endsAskedAt = now;
            try {
                Map<TopicPartition, Long> ends = consumer.endOffsets(unknown, LAG_TIMEOUT);
                for (TopicPartition partition : unknown) {
                    behind += Math.max(0, ends.get(partition) - consumer.position(partition, LAG_TIMEOUT));
                }
            } catch (WakeupException | InterruptException e) {
                throw e;
            } catch (KafkaException e) {
                return; // the broker or a position cannot say now: the last value stands
            }
        }
        lag = behind;
    }

    private final class KeepBatchOnRebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (pending == null) {
                return;
            }
            // the new owner re-reads what was not committed; partitions kept here are rewound to the same records
            for (Map.Entry<TopicPartition, Long> first : pending.firstOffsets.entrySet()) {
                if (!partitions.contains(first.getKey())) {
                    consumer.seek(first.getKey(), first.getValue());
                }
            }
            log.info("audit archive: partitions revoked while {} records were pending; they will be read again",
                    pending.size());
            pending = null;
            consumer.resume(consumer.paused());
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (pending != null) {
                consumer.pause(partitions);
            }
        }
    }

    private record DeadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
    }

    /** A poll's records on their way to the archive; steps already done are not repeated on retry. */
    private static final class Batch {
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        final Map<TopicPartition, Long> firstOffsets = new HashMap<>();
        /** null until read */
        List<ArchiveRow> rows;
        List<DeadLetter> deadLetters;
        boolean rowsWritten;

        Batch(ConsumerRecords<byte[], byte[]> polled) {
            for (ConsumerRecord<byte[], byte[]> record : polled) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                offsets.merge(partition, new OffsetAndMetadata(record.offset() + 1, record.leaderEpoch(), ""),
                        (a, b) -> a.offset() >= b.offset() ? a : b);
                firstOffsets.merge(partition, record.offset(), Math::min);
                records.add(record);
            }
        }

        int size() {
            return records.size();
        }
    }
}
