package io.soma.streams.stores.archive;

import io.soma.streams.testkit.TestPaths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Audit records derived from the real Azure LLM inference trace 2023 (../shared/data, CC-BY-4.0): tenant =
 * the trace ({@code conv} / {@code code}), time = the request's arrival. The trace has no text, so each request's
 * decision is the policy app's for an event without text (docs/policy.md): allow, no violations, score 1, severity
 * low.
 * Ids are the trace row numbers.
 */
final class TraceAuditRecords {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSS");

    private TraceAuditRecords() {
    }

    /** A trace request; the arrival is cut to microseconds, PostgreSQL's precision, so it reads back unchanged. */
    record Request(String tenant, long row, Instant arrivedAt) {
        String id(String kind) {
            return "%s-%s-%06d".formatted(kind, tenant, row);
        }
    }

    static List<Request> requests(String tenant, int limit) {
        Path csv = TestPaths.dataDir().resolve("azure-llm-inference-2023").resolve("AzureLLMInferenceTrace_" + tenant + ".csv");
        try (Stream<String> lines = Files.lines(csv)) {
            List<Request> requests = new ArrayList<>();
            lines.skip(1).limit(limit).forEach(line -> requests.add(new Request(tenant, requests.size() + 1L,
                    LocalDateTime.parse(line.substring(0, line.indexOf(',')), TIMESTAMP).toInstant(ZoneOffset.UTC)
                            .truncatedTo(ChronoUnit.MICROS))));
            return requests;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the Azure trace at " + csv + " (see ../shared/data/README.md)", e);
        }
    }

    static PolicyDecisionRow decision(Request request, KafkaSource source) {
        return new PolicyDecisionRow(request.id("decision"), request.id("event"), null, request.tenant(), null,
                "allow", true, 1.0, "low", "[]", null, null, null, request.arrivedAt(), source);
    }

    /** The training lock a tenant would take for the replay: enabled at its first request. */
    static TrainingAuditRow trainingEnabled(Request request, KafkaSource source) {
        return new TrainingAuditRow(request.id("training"), request.id("command"), request.tenant(),
                "training.enabled", null, request.arrivedAt(), "{\"reason\": null}", source);
    }

    /** The token a replayed request would present: issued at its arrival. */
    static IdentityAuditRow tokenIssued(Request request, KafkaSource source) {
        return new IdentityAuditRow(request.id("identity"), "token.issued", request.tenant(), request.tenant(),
                null, request.id("jti"), request.arrivedAt(), "{}", source);
    }

}
