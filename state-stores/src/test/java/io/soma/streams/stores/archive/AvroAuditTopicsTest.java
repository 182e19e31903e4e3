package io.soma.streams.stores.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.ConstitutionAudit;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.avro.IdentityAudit;
import io.soma.streams.avro.MarketplaceAudit;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.avro.TrainingAuditDetails;
import io.soma.streams.avro.TrainingLock;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AvroAuditTopicsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KafkaSource SOURCE = new KafkaSource("training.audit", 0, 7);

    @Test
    void shouldKeepTheWholeTrainingOutcomeInDetails() throws Exception {
        // the code trace's first two requests: the lock taken at the first, refused again at the second
        List<TraceAuditRecords.Request> requests = TraceAuditRecords.requests("code", 2);
        Instant lockedAt = requests.get(0).arrivedAt().truncatedTo(ChronoUnit.MILLIS);
        TrainingLock lock = TrainingLock.newBuilder().setLockedBy("code").setLockedAt(lockedAt)
                .setExpiresAt(lockedAt.plus(24, ChronoUnit.HOURS)).build();
        TrainingAudit rejected = TrainingAudit.newBuilder().setEventId(requests.get(1).id("training"))
                .setCommandId(requests.get(1).id("command")).setTenant("code").setAction("training.rejected")
                .setUser("code").setUserTenant("code").setCaller("ops").setCallerTenant("platform").setTimestamp(requests.get(1).arrivedAt().truncatedTo(ChronoUnit.MILLIS))
                .setDetails(TrainingAuditDetails.newBuilder().setPreviousLock(lock)
                        .setRejection("already enabled by code").setRejectionKind("conflict").build())
                .setCurrentLock(lock).build();

        TrainingAuditRow row = AvroAuditTopics.trainingRow(rejected, SOURCE);
        JsonNode details = JSON.readTree(row.detailsJson());

        assertThat(row.action()).isEqualTo("training.rejected");
        assertThat(details.get("rejection").asText()).isEqualTo("already enabled by code");
        assertThat(details.get("rejection_kind").asText()).isEqualTo("conflict");
        assertThat(details.get("reason").isNull()).isTrue();
        assertThat(details.at("/previous_lock/locked_at").asText()).isEqualTo(lockedAt.toString());
        assertThat(details.at("/current_lock/locked_by").asText()).isEqualTo("code");
        assertThat(details.get("caller").asText()).isEqualTo("ops");
        assertThat(details.get("caller_tenant").asText()).isEqualTo("platform");
    }

    @Test
    void shouldKeepTokenAttributesInDetails() throws Exception {
        TraceAuditRecords.Request request = TraceAuditRecords.requests("conv", 1).get(0);
        Instant issuedAt = request.arrivedAt().truncatedTo(ChronoUnit.MILLIS);
        IdentityAudit issued = IdentityAudit.newBuilder().setEventId(request.id("identity")).setAction("token.issued")
                .setTenant("conv").setSubject("conv").setJti(request.id("jti")).setKeyId("k1")
                .setCapabilities(List.of("training.admin")).setExpiresAt(issuedAt.plus(1, ChronoUnit.HOURS))
                .setTimestamp(issuedAt).setDetails(Map.of("constitution_hash", "none")).build();

        IdentityAuditRow row = AvroAuditTopics.identityRow(issued, SOURCE);
        JsonNode details = JSON.readTree(row.detailsJson());

        assertThat(row.jti()).isEqualTo(request.id("jti"));
        assertThat(details.get("key_id").asText()).isEqualTo("k1");
        assertThat(details.get("capabilities").get(0).asText()).isEqualTo("training.admin");
        assertThat(details.get("expires_at").asText()).isEqualTo(issuedAt.plus(1, ChronoUnit.HOURS).toString());
        assertThat(details.at("/attributes/constitution_hash").asText()).isEqualTo("none");
    }

    @Test
    void shouldArchiveAMarketplaceRefusalWithItsKindAndLowerCaseStatuses() {
        Instant at = Instant.parse("2025-05-16T10:00:00Z");
        MarketplaceAudit refused = MarketplaceAudit.newBuilder().setEventId("e1").setRequestId("c1").setCapsuleId("cap")
                .setAction("review_refused").setActor("alice").setActorTenant("reviewers")
                .setFromStatus(CapsuleStatus.IN_REVIEW).setVersion("1.0.0").setRejection("reject needs notes")
                .setRejectionKind("invalid").setTimestamp(at).build();

        MarketplaceAuditRow row = AvroAuditTopics.marketplaceRow(refused, new KafkaSource("marketplace.audit", 1, 9));

        assertThat(row.fromStatus()).isEqualTo("in_review");
        assertThat(row.toStatus()).isNull();
        assertThat(row.rejectionKind()).isEqualTo("invalid");
        assertThat(row.id()).isEqualTo("e1");
        assertThat(row.timestamp()).isEqualTo(at);
    }

    @Test
    void shouldArchiveABudgetResetWithTheEndedPeriodAndItsSpend() {
        Instant periodStart = Instant.parse("2025-05-01T00:00:00Z");
        Instant periodEnd = Instant.parse("2025-06-01T00:00:00Z");
        BudgetAudit reset = BudgetAudit.newBuilder().setEventId("e2").setTenant("acme").setBudgetId("monthly")
                .setAction("budget.reset").setTimestamp(periodEnd).setPeriodStart(periodStart).setPeriodEnd(periodEnd)
                .setTokens(1200L).setUsd(0.75).build();

        BudgetAuditRow row = AvroAuditTopics.budgetRow(reset, new KafkaSource("budget.audit", 2, 5));

        assertThat(row.id()).isEqualTo("e2");
        assertThat(row.tenant()).isEqualTo("acme");
        assertThat(row.budgetId()).isEqualTo("monthly");
        assertThat(row.action()).isEqualTo("budget.reset");
        assertThat(row.requestId()).isNull();
        assertThat(row.periodStart()).isEqualTo(periodStart);
        assertThat(row.periodEnd()).isEqualTo(periodEnd);
        assertThat(row.tokens()).isEqualTo(1200L);
        assertThat(row.usd()).isEqualTo(0.75);
        assertThat(row.source()).isEqualTo(new KafkaSource("budget.audit", 2, 5));
    }

    @Test
    void shouldArchiveARefusedConstitutionWithItsReasonAndClaims() {
        Instant issued = Instant.parse("2025-05-01T00:00:00Z");
        Instant refused = Instant.parse("2025-05-01T00:00:01Z");
        ConstitutionAudit audit = ConstitutionAudit.newBuilder().setEventId("constitution.updated/0/7")
                .setScope("acme").setOutcome("refused").setVersion("2.0.0").setHash("ab12").setKeyId("k1")
                .setIssuedAt(issued).setTimestamp(refused).setReason("bad_signature").setMessage("no match").build();

        ConstitutionAuditRow row = AvroAuditTopics.constitutionRow(audit, new KafkaSource("constitution.audit", 1, 3));

        assertThat(row.id()).isEqualTo("constitution.updated/0/7");
        assertThat(List.of(row.scope(), row.outcome(), row.version(), row.hash(), row.keyId(), row.reason(),
                row.message())).containsExactly("acme", "refused", "2.0.0", "ab12", "k1", "bad_signature", "no match");
        assertThat(row.issuedAt()).isEqualTo(issued);
        assertThat(row.timestamp()).isEqualTo(refused);
        assertThat(row.source()).isEqualTo(new KafkaSource("constitution.audit", 1, 3));
    }
}
