package io.soma.streams.bench;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;
import io.soma.streams.avro.BudgetReservationRequest;
import io.soma.streams.avro.CapsuleSubmission;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TrainingAction;
import io.soma.streams.avro.TrainingCommand;
import io.soma.streams.schemas.Topics;
import io.soma.streams.topologies.budget.BudgetApp;
import io.soma.streams.topologies.budget.Usage;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import io.soma.streams.topologies.marketplace.CapsuleManifest;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.MarketplaceAvro;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.replay.ReplayPlan;
import io.soma.streams.topologies.slm.SlmRequest;
import io.soma.streams.topologies.training.TrainingRules;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmarks' input, from the real datasets only. Where a dataset is smaller than the run it is replayed in
 * passes under new ids; where an app needs records no dataset has (training commands) they are derived from real
 * tenants' activity, see {@link #trainingCommands}.
 */
final class BenchInputs {
    /** A ServeGen row covers ten minutes. */
    static final Duration SERVEGEN_WINDOW = Duration.ofMinutes(10);
    /** The replay's tenant of the LLMPerf measurements. */
    private static final String LLMPERF_TENANT = "llmperf";

    /** A record with the topic and key it is produced under. */
    record Keyed(String topic, String key, SpecificRecord value) {
    }

    private BenchInputs() {
    }

    /** {@code passes} copies of the replay, each event under a new id (and so its own session) but the same time. */
    static List<ConversationEvent> replayPasses(List<ConversationEvent> replay, int passes) {
        List<ConversationEvent> out = new ArrayList<>(replay.size() * passes);
        for (int pass = 0; pass < passes; pass++) {
            for (ConversationEvent event : replay) {
                out.add(withId(event, event.getEventId() + "-r" + pass, event.getTimestamp()));
            }
        }
        return out;
    }

    /** A replayed event under a new id; replay events are their own session, so the session id follows. */
    static ConversationEvent withId(ConversationEvent event, String id, Instant timestamp) {
        return ConversationEvent.newBuilder(event).setEventId(id).setSessionId(id).setTimestamp(timestamp).build();
    }

    /** Policy app: the whole replay (Azure, XSTest, LLMPerf) in passes, keyed by session, the first {@code count}. */
    static List<Keyed> policy(List<ReplayPlan.Scheduled> plan, int count) {
        List<ConversationEvent> replay = plan.stream().map(ReplayPlan.Scheduled::event).toList();
        return replayPasses(replay, passesFor(replay.size(), count)).stream().limit(count)
                .map(e -> new Keyed(Topics.CONVERSATION_EVENTS.name(), e.getSessionId(), e)).toList();
    }

    /**
     * SLM app: the LLMPerf measurements of the replay in passes, pass after pass on the event-time axis so that time
     * keeps moving and windows close, the last pass ending before the plan starts (brokers refuse records stamped
     * more than an hour ahead). Keyed by {@code model@provider}, the app's own grouping key, so that a key's events
     * stay in order on one partition and input and repartition partition coincide: a replay compressed from hours
     * into seconds, spread over partitions read at different speeds, would otherwise make the slower partitions'
     * events late beyond the 30 s grace.
     */
    static List<Keyed> slm(List<ReplayPlan.Scheduled> plan, int count) {
        List<ReplayPlan.Scheduled> measured = plan.stream()
                .filter(s -> s.event().getTenant().equals(LLMPERF_TENANT)).toList();
        if (measured.isEmpty()) {
            return List.of();
        }
        Duration passLength = measured.get(measured.size() - 1).at().plusMinutes(1);
        int passes = passesFor(measured.size(), count);
        List<Keyed> out = new ArrayList<>(count);
        for (int pass = 0; pass < passes; pass++) {
            Duration shift = passLength.multipliedBy(passes - pass);
            for (ReplayPlan.Scheduled s : measured) {
                if (out.size() == count) {
                    break;
                }
                ConversationEvent e = s.event();
                String id = e.getEventId() + "-r" + pass;
                ConversationEvent copy = ConversationEvent.newBuilder(e).setEventId(id).setSessionId(id)
                        .setTimestamp(e.getTimestamp().minus(shift)).build();
                out.add(new Keyed(Topics.CONVERSATION_EVENTS.name(), SlmRequest.key(e.getModel(), e.getProvider()), copy));
            }
        }
        return out;
    }

    /**
     * Forecast app: the ServeGen windows (one event per tenant and 10-minute window with requests), oldest first, the
     * first {@code count} (so the first days of every tenant). Keyed by tenant for the reason given at {@link #slm}:
     * the app repartitions by tenant, and a tenant's input partition is then its repartition partition.
     */
    static List<Keyed> forecast(List<ConversationEvent> serveGen, int count) {
        return serveGen.stream().limit(count)
                .map(e -> new Keyed(Topics.CONVERSATION_EVENTS.name(), e.getTenant(),
                        ConversationEvent.newBuilder(e).setSessionId(e.getTenant()).build()))
                .toList();
    }

    /** Training app: {@link #trainingCommands} of the ServeGen tenants, keyed by tenant as the edge sends them, the first {@code count}. */
    static List<Keyed> training(List<ConversationEvent> serveGen, int count, Instant requestedAt) {
        return trainingCommands(serveGen, requestedAt).stream().limit(count)
                .map(c -> new Keyed(Topics.TRAINING_COMMANDS.name(), c.getTenant(), c)).toList();
    }

    /**
     * Training commands no dataset has, derived from when real tenants were active (ServeGen windows with requests):
     * a tenant's operator keeps training mode on while the tenant sends traffic. The first window of a run of
     * consecutive active windows enables it, every further window of the run extends it, and the first idle window
     * after the run disables it. Every command is one the app accepts (the same admin enables, extends and
     * disables), so each gets exactly one audit and one state update. Ordered by window time, then tenant.
     */
    static List<TrainingCommand> trainingCommands(List<ConversationEvent> serveGen, Instant requestedAt) {
        Map<String, List<Instant>> activeByTenant = new LinkedHashMap<>();
        serveGen.stream().sorted(Comparator.comparing(ConversationEvent::getTimestamp))
                .forEach(e -> activeByTenant.computeIfAbsent(e.getTenant(), t -> new ArrayList<>()).add(e.getTimestamp()));
        record At(Instant window, TrainingCommand command) {
        }
        List<At> commands = new ArrayList<>();
        activeByTenant.forEach((tenant, windows) -> {
            Instant previous = null;
            for (Instant window : windows) {
                if (previous != null && !window.equals(previous.plus(SERVEGEN_WINDOW))) {
                    Instant idle = previous.plus(SERVEGEN_WINDOW);
                    commands.add(new At(idle, command(tenant, TrainingAction.DISABLE, idle, requestedAt)));
                    previous = null;
                }
                TrainingAction action = previous == null ? TrainingAction.ENABLE : TrainingAction.EXTEND;
                commands.add(new At(window, command(tenant, action, window, requestedAt)));
                previous = window;
            }
            if (previous != null) {
                Instant idle = previous.plus(SERVEGEN_WINDOW);
                commands.add(new At(idle, command(tenant, TrainingAction.DISABLE, idle, requestedAt)));
            }
        });
        return commands.stream()
                .sorted(Comparator.comparing(At::window).thenComparing(a -> a.command().getTenant()))
                .map(At::command).toList();
    }

    /** The one budget the budget benchmarks give each tenant. */
    static final String BENCH_BUDGET_ID = "bench-monthly";
    /** A limit no run reaches: every reservation is decided against the budget and granted. */
    private static final long UNREACHED_LIMIT_TOKENS = 1_000_000_000_000L;

    /**
     * A step of a real tenant: one per ServeGen window with requests, in window order, sized as the window's mean
     * request (its token totals over its request count; ServeGen has no per-request split). The id is the
     * reservation's; the response carries it as its {@code budget_reservation_id}.
     */
    record Step(String id, String tenant, long promptTokens, long completionTokens) {
    }

    static List<Step> steps(List<ConversationEvent> serveGen, int count) {
        return serveGen.stream().limit(count).map(e -> {
            long requests = Long.parseLong(e.getMetadata().get(ServeGenEvents.REQUESTS_METADATA));
            return new Step(e.getEventId(), e.getTenant(), e.getPromptTokens() / requests,
                    e.getCompletionTokens() / requests);
        }).toList();
    }

    /** A hard monthly token budget for each tenant of {@code steps}, keyed as the edge keys definitions. */
    static List<Keyed> budgets(List<Step> steps, Instant at) {
        return steps.stream().map(Step::tenant).distinct().map(tenant -> new Keyed(Topics.BUDGET_DEFINITIONS.name(),
                BudgetApp.budgetKey(tenant, BENCH_BUDGET_ID), BudgetDefinition.newBuilder().setTenant(tenant)
                        .setBudgetId(BENCH_BUDGET_ID).setLimitTokens(UNREACHED_LIMIT_TOKENS)
                        .setPeriod(BudgetPeriodKind.MONTH).setHard(true).setFailClosed(true).setUpdatedAt(at)
                        .setUpdatedBy("bench").build())).toList();
    }

    /**
     * Budget app: per step the reservation the edge sends (the mean request as prompt, its mean completion as the
     * declared maximum), then the response that settles it (the same tokens, under the step's id), both keyed by
     * tenant so a step's two records reach the tenant's partition in order.
     */
    static List<Keyed> budget(List<Step> steps, Instant at) {
        List<Keyed> out = new ArrayList<>(steps.size() * 2);
        for (Step step : steps) {
            out.add(new Keyed(Topics.BUDGET_RESERVATIONS.name(), step.tenant(), BudgetReservationRequest.newBuilder()
                    .setRequestId(step.id()).setTenant(step.tenant()).setPromptTokens(step.promptTokens())
                    .setMaxCompletionTokens(step.completionTokens()).setRequestedAt(at).build()));
            out.add(new Keyed(Topics.CONVERSATION_EVENTS.name(), step.tenant(), response(step, at)));
        }
        return out;
    }

    /** The response event that settles {@code step}'s reservation with its tokens, as a gateway reports it. */
    static ConversationEvent response(Step step, Instant at) {
        String id = step.id() + ":response";
        return ConversationEvent.newBuilder().setEventId(id).setSessionId(id).setTenant(step.tenant())
                .setRole("assistant").setEventType("conversation.step").setTimestamp(at)
                .setPromptTokens(Math.toIntExact(step.promptTokens()))
                .setCompletionTokens(Math.toIntExact(step.completionTokens()))
                .setMetadata(Map.of(Usage.RESERVATION_ID_METADATA, step.id())).build();
    }

    /**
     * Marketplace app: the MCP registry's capsules submitted by the example publisher, signed with its key, in passes:
     * pass p > 0 submits every capsule again as a new version ({@code <version>+bench.<p>}), so each submission is an
     * authentic new version the app verifies, checks and moves to review. Keyed by capsule id, the first {@code count}.
     */
    static List<Keyed> marketplace(List<McpRegistry.Entry> registry, PrivateKey key, int count, Instant at) {
        int passes = passesFor(registry.size(), count);
        List<Keyed> out = new ArrayList<>(count);
        for (int pass = 0; pass < passes; pass++) {
            for (McpRegistry.Entry entry : registry) {
                if (out.size() == count) {
                    break;
                }
                CapsuleManifest m = entry.manifest();
                McpRegistry.Entry version = pass == 0 ? entry : new McpRegistry.Entry(entry.capsuleId(),
                        new CapsuleManifest(m.name(), m.description(), m.repositoryUrl(), m.repositorySource(),
                                m.version() + "+bench." + pass, m.packages()));
                out.add(new Keyed(Topics.MARKETPLACE_SUBMISSIONS.name(), entry.capsuleId(),
                        CapsuleSubmission.newBuilder()
                            .setSubmissionId(entry.capsuleId() + "@" + version.manifest().version())
                            .setCapsuleId(entry.capsuleId())
                            .setPublisher(ExampleCapsulePublisher.PUBLISHER)
                            .setSubmittedBy("bench-publisher")
                            .setManifest(MarketplaceAvro.manifest(version.manifest()))
                            .setAttestation(MarketplaceAvro.attestation(ExampleCapsulePublisher.attest(version, key)))
                            .setSubmittedAt(at)
                            .build()));
            }
        }
        return out;
    }

    private static TrainingCommand command(String tenant, TrainingAction action, Instant window, Instant requestedAt) {
        long windowS = Duration.between(ServeGenEvents.EPOCH, window).toSeconds();
        boolean locks = action != TrainingAction.DISABLE;
        return TrainingCommand.newBuilder()
                .setCommandId("servegen-" + tenant + "-" + windowS + "-" + action.name().toLowerCase(Locale.ROOT))
                .setTenant(tenant)
                .setAction(action)
                .setUser("operator@" + tenant)
                .setCapabilities(List.of(TrainingRules.ADMIN_CAPABILITY))
                .setReason((locks ? "traffic in ServeGen window " : "no traffic from ServeGen window ") + windowS)
                // two windows: a tenant whose next window never comes loses the lock on its own
                .setTtlSeconds(locks ? SERVEGEN_WINDOW.multipliedBy(2).toSeconds() : null)
                .setRequestedAt(requestedAt)
                .build();
    }

    private static int passesFor(int size, int count) {
        return size == 0 ? 0 : (count + size - 1) / size;
    }

    /** Sends the records, in order, and waits until all are written; returns how many. */
    static long produce(KafkaProducer<String, SpecificRecord> producer, List<Keyed> records) {
        records.forEach(r -> producer.send(new ProducerRecord<>(r.topic(), r.key(), r.value())));
        producer.flush();
        return records.size();
    }

    /** The signed example constitution and the example rule pack, as the demo loads them. */
    static void loadExamplePolicy(KafkaProducer<String, SpecificRecord> producer) throws Exception {
        producer.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), "global",
                PolicyAvro.bundle(ExamplePolicy.bundle()))).get();
        producer.send(new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), "xstest",
                PolicyAvro.rulePack(ExamplePolicy.rulePack()))).get();
    }
}
