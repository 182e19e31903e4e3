package io.soma.streams.bench;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TrainingAction;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.schemas.Topics;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.budget.BudgetValidation;
import io.soma.streams.topologies.budget.Usage;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import io.soma.streams.topologies.marketplace.AttestationVerifier;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.MarketplaceAvro;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.replay.ReplayPlan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BenchInputsTest {
    private static final Instant NOW = Instant.parse("2026-12-01T08:00:00Z");

    @Test
    void aRunOfActiveWindowsEnablesExtendsAndDisablesAfterIt() {
        List<TrainingCommand> commands = BenchInputs.trainingCommands(List.of(
                window("a", 0), window("a", 600), window("a", 1200), window("a", 3000)), NOW);

        assertThat(commands).extracting(TrainingCommand::getAction).containsExactly(
                TrainingAction.ENABLE, TrainingAction.EXTEND, TrainingAction.EXTEND, TrainingAction.DISABLE,
                TrainingAction.ENABLE, TrainingAction.DISABLE);
        assertThat(commands).extracting(TrainingCommand::getCommandId).containsExactly(
                "servegen-a-0-enable", "servegen-a-600-extend", "servegen-a-1200-extend", "servegen-a-1800-disable",
                "servegen-a-3000-enable", "servegen-a-3600-disable");
        assertThat(commands).allSatisfy(c -> assertThat(c.getUser()).isEqualTo("operator@a"));
        assertThat(commands.get(0).getTtlSeconds()).isEqualTo(1200L);
        assertThat(commands.get(3).getTtlSeconds()).isNull();
    }

    @Test
    void tenantsInterleaveByWindowTimeThenTenant() {
        List<TrainingCommand> commands = BenchInputs.trainingCommands(List.of(
                window("b", 0), window("a", 600), window("b", 600)), NOW);

        assertThat(commands).extracting(c -> c.getTenant() + ":" + c.getAction()).containsExactly(
                "b:ENABLE", "a:ENABLE", "b:EXTEND", "a:DISABLE", "b:DISABLE");
    }

    @Test
    void slmPassesFollowEachOtherAndEndBeforeThePlanStarts() {
        Instant start = Instant.parse("2026-12-01T08:00:00Z");
        List<ReplayPlan.Scheduled> plan = List.of(measurement("m1", start, 0), measurement("m2", start, 600),
                new ReplayPlan.Scheduled(Duration.ofSeconds(900), window("conv", 0)));

        List<BenchInputs.Keyed> input = BenchInputs.slm(plan, 5);

        assertThat(input).extracting(k -> ((ConversationEvent) k.value()).getTimestamp()).containsExactly(
                start.minusSeconds(3 * 660), start.minusSeconds(3 * 660 - 600),
                start.minusSeconds(2 * 660), start.minusSeconds(2 * 660 - 600), start.minusSeconds(660));
        assertThat(input).extracting(BenchInputs.Keyed::key).containsExactly(
                "llama@p", "llama@p", "llama@p", "llama@p", "llama@p");
        assertThat(input.get(2).value()).extracting("eventId").isEqualTo("m1-r1");
    }

    @Test
    void aStepIsTheWindowsMeanRequestReservedThenSettledOnItsTenantsKey() {
        ConversationEvent window = ConversationEvent.newBuilder(window("a", 600)).setPromptTokens(3000)
                .setCompletionTokens(901).setMetadata(Map.of(ServeGenEvents.REQUESTS_METADATA, "3")).build();

        List<BenchInputs.Step> steps = BenchInputs.steps(List.of(window), 5);
        List<BenchInputs.Keyed> input = BenchInputs.budget(steps, NOW);

        assertThat(steps).containsExactly(new BenchInputs.Step("servegen:a:600", "a", 1000, 300));
        assertThat(input).extracting(BenchInputs.Keyed::topic).containsExactly(
                Topics.BUDGET_RESERVATIONS.name(), Topics.CONVERSATION_EVENTS.name());
        assertThat(input).extracting(BenchInputs.Keyed::key).containsExactly("a", "a");
        assertThat(input.get(0).value()).extracting("requestId", "tenant", "promptTokens", "maxCompletionTokens")
                .containsExactly("servegen:a:600", "a", 1000L, 300L);
        assertThat(Usage.of((ConversationEvent) input.get(1).value()))
                .isEqualTo(new Usage("servegen:a:600:response", "servegen:a:600", null, null, null, 1000, 300));
        assertThat(BenchInputs.budgets(steps, NOW)).singleElement().satisfies(b -> {
            assertThat(b.key()).isEqualTo("a/" + BenchInputs.BENCH_BUDGET_ID);
            assertThat(BudgetValidation.problems((BudgetDefinition) b.value())).isEmpty();
        });
    }

    @Test
    void everyMarketplacePassIsAnAuthenticNewVersionOfTheRegistrysCapsules() {
        List<McpRegistry.Entry> registry = McpRegistry.read(McpRegistry.file(TestPaths.dataDir())).stream()
                .filter(e -> !e.capsuleId().isEmpty()).limit(2).toList();
        // tests run in bench/, the key file's path is from the project root
        PrivateKey key = ExampleCapsulePublisher.privateKey(
                Path.of("..").resolve(ExampleCapsulePublisher.PRIVATE_KEY_FILE));
        AttestationVerifier verifier = new AttestationVerifier(List.of(ExampleCapsulePublisher.publisherKey()));

        List<BenchInputs.Keyed> input = BenchInputs.marketplace(registry, key, 3, NOW);

        assertThat(input).extracting(BenchInputs.Keyed::key).containsExactly(registry.get(0).capsuleId(),
                registry.get(1).capsuleId(), registry.get(0).capsuleId());
        Map<String, String> attested = new HashMap<>();
        for (BenchInputs.Keyed k : input.stream().filter(k -> k.key().equals(registry.get(0).capsuleId())).toList()) {
            CapsuleSubmission s = (CapsuleSubmission) k.value();
            AttestationVerifier.Result result = verifier.verify(s.getCapsuleId(), s.getPublisher(),
                    MarketplaceAvro.manifest(s.getManifest()), MarketplaceAvro.attestation(s.getAttestation()),
                    attested::get);
            assertThat(result).isInstanceOf(AttestationVerifier.Attested.class);
            attested.put(s.getManifest().getVersion(), ((AttestationVerifier.Attested) result).digest());
        }
        assertThat(attested).containsOnlyKeys(registry.get(0).manifest().version(),
                registry.get(0).manifest().version() + "+bench.1");
    }

    private static ReplayPlan.Scheduled measurement(String id, Instant start, long atS) {
        return new ReplayPlan.Scheduled(Duration.ofSeconds(atS), ConversationEvent.newBuilder().setEventId(id)
                .setSessionId(id).setTenant("llmperf").setRole("assistant").setEventType("slm.response")
                .setTimestamp(start.plusSeconds(atS)).setModel("llama").setProvider("p").setStatus("ok")
                .setLatencyMs(1000.0).build());
    }

    private static ConversationEvent window(String tenant, long startS) {
        return ConversationEvent.newBuilder().setEventId("servegen:" + tenant + ":" + startS)
                .setSessionId("servegen:replay").setTenant(tenant).setRole("assistant")
                .setEventType(ServeGenEvents.EVENT_TYPE).setTimestamp(ServeGenEvents.EPOCH.plusSeconds(startS))
                .setPromptTokens(1).setCompletionTokens(1).build();
    }
}
