package io.soma.streams.stores.archive;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditArchiveWriterIT {
    private static ArchiveDatabase database;
    private static AuditArchiveWriter writer;

    @BeforeAll
    static void migrate() {
        database = ArchiveDatabase.migrated("writer");
        writer = new AuditArchiveWriter(database.pool.dataSource(), database.schema);
    }

    @AfterAll
    static void drop() throws SQLException {
        database.close();
    }

    @Test
    void shouldHoldOneRowPerRecordWhenTheSameBatchIsWrittenTwice() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 120);
        List<ArchiveRow> batch = new ArrayList<>();
        long offset = 0;
        for (TraceAuditRecords.Request request : requests) {
            batch.add(TraceAuditRecords.decision(request, new KafkaSource("policy.decisions", 0, offset++)));
        }
        TraceAuditRecords.Request first = requests.get(0);
        batch.add(TraceAuditRecords.trainingEnabled(first, new KafkaSource("training.audit", 0, 0)));
        batch.add(TraceAuditRecords.tokenIssued(first, new KafkaSource("identity.audit", 0, 0)));

        AuditArchiveWriter.WriteResult firstWrite = writer.write(batch);
        AuditArchiveWriter.WriteResult replay = writer.write(batch);

        assertThat(firstWrite).isEqualTo(new AuditArchiveWriter.WriteResult(122, 0));
        assertThat(replay).isEqualTo(new AuditArchiveWriter.WriteResult(0, 122));
        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE tenant = 'code'")).isEqualTo(120);
        assertThat(database.count("SELECT count(DISTINCT decision_id) FROM ${schema}.policy_decisions WHERE tenant = 'code'"))
                .isEqualTo(120);
        assertThat(database.count("SELECT count(*) FROM ${schema}.training_audit WHERE tenant = 'code'")).isEqualTo(1);
        assertThat(database.count("SELECT count(*) FROM ${schema}.identity_audit WHERE tenant = 'code'")).isEqualTo(1);
    }

    @Test
    void shouldArchiveTwoTenantsDecisionsThatShareAnId() throws Exception {
        TraceAuditRecords.Request request = TraceAuditRecords.requests("conv", 1).get(0);
        String decisionId = "shared-" + request.id("decision");
        PolicyDecisionRow ofA = new PolicyDecisionRow(decisionId, "turn-1", null, "tenant-a", null, "allow", true,
                1.0, "low", "[]", null, null, null, request.arrivedAt(), new KafkaSource("policy.decisions", 2, 0));
        // another tenant's orchestrator chose the same event id, so its decision has the same id
        PolicyDecisionRow ofB = new PolicyDecisionRow(decisionId, "turn-1", null, "tenant-b", null, "deny", false,
                1.0, "high", "[]", null, null, null, request.arrivedAt(), new KafkaSource("policy.decisions", 2, 1));

        assertThat(writer.write(List.of(ofA, ofB))).isEqualTo(new AuditArchiveWriter.WriteResult(2, 0));
        assertThat(writer.write(List.of(ofA, ofB))).isEqualTo(new AuditArchiveWriter.WriteResult(0, 2));
        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE decision_id = '"
                + decisionId + "'")).isEqualTo(2);
    }

    @Test
    void shouldWriteNothingOfABatchThatPostgresRefuses() throws Exception {
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("conv", 3);
        PolicyDecisionRow good = TraceAuditRecords.decision(requests.get(0), new KafkaSource("policy.decisions", 1, 0));
        PolicyDecisionRow ok = TraceAuditRecords.decision(requests.get(1), new KafkaSource("policy.decisions", 1, 1));
        TrainingAuditRow refused = new TrainingAuditRow("training-refused", null, "conv", "training.enabled", null,
                requests.get(2).arrivedAt(), "this is not JSON", new KafkaSource("training.audit", 1, 0));

        assertThatThrownBy(() -> writer.write(List.of(good, ok, refused))).isInstanceOf(SQLException.class);

        assertThat(database.count("SELECT count(*) FROM ${schema}.policy_decisions WHERE kafka_partition = 1")).isZero();
        assertThat(database.count("SELECT count(*) FROM ${schema}.training_audit WHERE event_id = 'training-refused'")).isZero();
    }

    @Test
    void shouldMigrateASchemaThatIsNotYetMigratedBeforeTheFirstWrite() throws Exception {
        try (ArchiveDatabase fresh = ArchiveDatabase.create("writer_fresh")) {
            TraceAuditRecords.Request request = TraceAuditRecords.requests("code", 1).get(0);

            new AuditArchiveWriter(fresh.pool.dataSource(), fresh.schema)
                    .write(List.of(TraceAuditRecords.decision(request, new KafkaSource("policy.decisions", 0, 0))));

            assertThat(fresh.count("SELECT count(*) FROM ${schema}.schema_migrations")).isEqualTo(6);
            assertThat(fresh.count("SELECT count(*) FROM ${schema}.policy_decisions")).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepEveryColumnAsWritten() throws Exception {
        TraceAuditRecords.Request request = TraceAuditRecords.requests("conv", 1).get(0);
        PolicyDecisionRow row = TraceAuditRecords.decision(request, new KafkaSource("policy.decisions", 2, 41));
        writer.write(List.of(row));

        DecisionArchiveQuery query = new DecisionArchiveQuery(database.pool.dataSource(), database.schema);
        DecisionArchiveQuery.Page page = query.page("conv", request.arrivedAt(), request.arrivedAt().plusMillis(1), 10, null,
                PageOrder.OLDEST_FIRST, null);

        assertThat(page.decisions()).containsExactly(row);
    }

    @Test
    void shouldArchiveARecordCarryingANulCharacterInsteadOfStalling() throws Exception {
        try (ArchiveDatabase own = ArchiveDatabase.create("writer_nul")) {
            TraceAuditRecords.Request request = TraceAuditRecords.requests("code", 1).get(0);
            TrainingAuditRow withNul = new TrainingAuditRow("training-nul", null, "code", "training.rejected",
                    "mallory\u0000", request.arrivedAt(), "{\"reason\":\"a\\u0000b\"}",
                    new KafkaSource("training.audit", 0, 7));

            // text that only reads like the escape (a backslash, u, four zeros) is kept as it was sent
            TrainingAuditRow lookalike = new TrainingAuditRow("training-nul-text", null, "code", "training.rejected",
                    "mallory", request.arrivedAt(), "{\"reason\":\"C:\\\\u0000 a\\u0000b\"}",
                    new KafkaSource("training.audit", 0, 8));

            new AuditArchiveWriter(own.pool.dataSource(), own.schema).write(List.of(withNul, lookalike));

            assertThat(own.count("SELECT count(*) FROM ${schema}.training_audit WHERE event_id = 'training-nul'"
                    + " AND \"user\" = 'mallory\uFFFD'")).isEqualTo(1);
            assertThat(own.count("SELECT count(*) FROM ${schema}.training_audit WHERE event_id = 'training-nul-text'"
                    + " AND details->>'reason' = 'C:\\u0000 a\uFFFDb'")).isEqualTo(1);
        }
    }
}
