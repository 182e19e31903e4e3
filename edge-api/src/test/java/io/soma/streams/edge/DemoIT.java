package io.soma.streams.edge;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.auth.IdentitySlice;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo as the README starts it: embedded broker and registry, the edge ready, real events replayed, the
 * marketplace's catalog filled with the registry's entries and reviewed into every state. Its Redis
 * keys and tables are the fixture's private ones, so a demo running on the same machine is left alone.
 */
class DemoIT {
    private static final int REPLAYED = 2_000;

    @Test
    // longer than the suite's default of 5 minutes on a loaded machine: a stack of its own and the demo replay
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldReachReadyAndReplayTheRealDatasetsIntoKafka() {
        try (EdgeFixture demo = EdgeFixture.onOwnStack(EdgeFixture.demoSettings()).awaitReady()) {
            // the replayer's producer is not transactional: read_committed reads all it sent
            List<ConversationEvent> replayed = CommittedRecords.awaitValues(demo.config().bootstrapServers(),
                    Topics.CONVERSATION_EVENTS.name(), Topics.CONVERSATION_EVENTS.keySerde().deserializer(),
                    Topics.CONVERSATION_EVENTS.valueSerde(new SchemaRegistryClient(demo.config().schemaRegistryUrl()))
                            .deserializer(), event -> true, REPLAYED);

            Map<String, Long> byDataset = replayed.stream().collect(Collectors.groupingBy(
                    e -> e.getMetadata().get("dataset"), Collectors.counting()));
            assertThat(byDataset).containsKeys("azure-llm-inference-2023");
            assertThat(replayed).hasSizeGreaterThanOrEqualTo(REPLAYED);

            // one tenant per dataset, each with an admin a platform operator issues tokens for
            assertThat(EdgeFixture.json(demo.get("/v1/tenants", demo.adminToken())).get("tenants")
                    .findValuesAsText("tenant_id")).containsAll(ReplayPlan.TENANTS);
            String conv = ReplayPlan.TENANTS.get(0);
            HttpResponse<String> issued = demo.post("/v1/tokens/issue", demo.adminToken(), EdgeFixture.json(Map.of(
                    "subject", IdentitySlice.DEMO_TENANT_ADMIN, "tenant", conv, "capabilities", List.of("audit.read"))));
            assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
            String token = EdgeFixture.json(issued).get("token").asText();
            assertThat(demo.get("/v1/audit/decisions?tenant=" + conv, token).statusCode()).isEqualTo(200);
            assertThat(demo.get("/v1/audit/decisions?tenant=" + ReplayPlan.TENANTS.get(2), token).statusCode())
                    .isEqualTo(403);

            // the registry's 464 entries with an id in the catalog, a few reviewed into every other state
            Map<String, Integer> byStatus = Map.of("approved", 3, "rejected", 1, "revoked", 1, "in_review", 1,
                    "submitted", 458);
            byStatus.forEach((status, count) -> demo.awaitGet(count + " " + status + " capsules",
                    "/v1/marketplace/capsules?size=1&publisher=" + ExampleCapsulePublisher.PUBLISHER + "&status=" + status,
                    demo.adminToken(), page -> page.get("total").asInt() == count));
        }
    }
}
