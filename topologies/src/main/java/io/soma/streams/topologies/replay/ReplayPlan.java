package io.soma.streams.topologies.replay;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.topologies.slm.LlmPerfRecords;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The real datasets as one timeline of {@link ConversationEvent}s. The Azure trace keeps its own arrival
 * times (shifted so the trace starts at the replay's start); XSTest prompts and LLMPerf measurements carry
 * no timestamps, so they are spread evenly over the same span. Every event carries only what its dataset
 * has: no text where the trace has none, no latency where it was not measured.
 */
public final class ReplayPlan {
    /** An event and where it sits on the trace clock, from the start of the trace. */
    public record Scheduled(Duration at, ConversationEvent event) {
    }

    private static final List<String> AZURE_TENANTS = List.of("conv", "code");
    private static final String XSTEST_TENANT = "xstest";
    private static final String LLMPERF_TENANT = "llmperf";
    /** The tenant each replayed dataset's events belong to: the two Azure traces, XSTest and LLMPerf. */
    public static final List<String> TENANTS = List.of(AZURE_TENANTS.get(0), AZURE_TENANTS.get(1), XSTEST_TENANT,
            LLMPERF_TENANT);

    private ReplayPlan() {
    }

    /** Every dataset, ordered by trace time; event timestamps are {@code start + at}. */
    public static List<Scheduled> build(Path datasetsDir, Instant start) {
        List<Scheduled> plan = new ArrayList<>();
        Duration span = Duration.ZERO;
        for (String tenant : AZURE_TENANTS) {
            List<AzureTrace.Request> trace = AzureTrace.read(AzureTrace.file(datasetsDir, tenant));
            Instant first = trace.get(0).arrivedAt();
            for (AzureTrace.Request r : trace) {
                Duration at = Duration.between(first, r.arrivedAt());
                span = at.compareTo(span) > 0 ? at : span;
                plan.add(new Scheduled(at, azureEvent(tenant, r, start.plus(at))));
            }
        }
        List<XsTestPrompts.Prompt> prompts = XsTestPrompts.read(XsTestPrompts.file(datasetsDir));
        for (int i = 0; i < prompts.size(); i++) {
            Duration at = span.multipliedBy(i).dividedBy(prompts.size());
            plan.add(new Scheduled(at, xsTestEvent(prompts.get(i), start.plus(at))));
        }
        List<LlmPerfRecords.Request> measurements = new ArrayList<>();
        LlmPerfRecords.files(datasetsDir).forEach(f -> measurements.addAll(LlmPerfRecords.read(f)));
        for (int i = 0; i < measurements.size(); i++) {
            Duration at = span.multipliedBy(i).dividedBy(measurements.size());
            plan.add(new Scheduled(at, llmPerfEvent(measurements.get(i), start.plus(at))));
        }
        plan.sort(Comparator.comparing(Scheduled::at));
        return plan;
    }

    /**
     * Where a replay started {@code now} at {@code speed} places a trace of {@code span}: as late as every event time
     * allows being in the past when the event is sent (the broker refuses timestamps over an hour ahead, and a
     * windowed app's stream time would run ahead of the clock). Faster than real time, the trace ends as the replay
     * does; slower, it starts as the replay does, its times falling behind the clock as it goes.
     */
    public static Instant start(Instant now, Duration span, double speed) {
        Duration replayed = Duration.ofNanos((long) (span.toNanos() / speed));
        return replayed.compareTo(span) < 0 ? now.minus(span).plus(replayed) : now;
    }

    /**
     * {@code plan} as the traffic of one run: every event {@link #ofRun of the run}, at {@code start} plus its place in
     * the trace.
     */
    public static List<Scheduled> asRun(List<Scheduled> plan, String runId, Instant start) {
        List<Scheduled> run = new ArrayList<>(plan.size());
        for (Scheduled s : plan) {
            ConversationEvent event = ofRun(runId, s.event());
            event.setTimestamp(start.plus(s.at()));
            run.add(new Scheduled(s.at(), event));
        }
        return run;
    }

    /**
     * {@code event} as traffic of one run: its event and session ids prefixed with {@code runId}. Consumers are
     * idempotent by event id (the archive keeps the first decision of an event), so a second replay of the same
     * datasets under the same ids would be taken for duplicates and show nothing.
     */
    public static ConversationEvent ofRun(String runId, ConversationEvent event) {
        return ConversationEvent.newBuilder(event).setEventId(runId + "-" + event.getEventId())
                .setSessionId(runId + "-" + event.getSessionId()).build();
    }

    public static ConversationEvent azureEvent(String tenant, AzureTrace.Request r, Instant at) {
        String id = "azure-" + tenant + "-" + r.row();
        return base(id, id, tenant, "assistant", "slm.response", at)
                .setProvider("azure")
                .setPromptTokens(r.contextTokens())
                .setCompletionTokens(r.generatedTokens())
                .setMetadata(Map.of("dataset", "azure-llm-inference-2023", "trace_timestamp", r.arrivedAt().toString()))
                .build();
    }

    static ConversationEvent xsTestEvent(XsTestPrompts.Prompt p, Instant at) {
        String id = "xstest-" + p.id();
        return base(id, id, XSTEST_TENANT, "user", "conversation.step", at)
                .setContent(p.text())
                .setMetadata(Map.of("dataset", "xstest", "xstest_label", p.label(), "xstest_type", p.type()))
                .build();
    }

    public static ConversationEvent llmPerfEvent(LlmPerfRecords.Request r, Instant at) {
        String id = "llmperf-" + r.provider() + "-" + r.model() + "-" + r.index();
        ConversationEvent.Builder b = base(id, id, LLMPERF_TENANT, "assistant", "slm.response", at)
                .setProvider(r.provider())
                .setModel(r.model())
                .setPromptTokens(r.inputTokens())
                .setCompletionTokens(r.outputTokens())
                .setStatus(r.failed() ? "error" : "ok")
                .setMetadata(Map.of("dataset", "llmperf-leaderboard", "timestamp_source", "replay clock"));
        if (r.failed()) {
            b.setErrorCode(Integer.toString(r.errorCode()));
        } else {
            // a failed request's latencies are the benchmark's placeholders, not measurements
            b.setLatencyMs(r.endToEndLatencyS() * 1000).setTtftMs(r.ttftS() * 1000);
        }
        return b.build();
    }

    private static ConversationEvent.Builder base(String eventId, String sessionId, String tenant, String role,
                                                  String type, Instant at) {
        return ConversationEvent.newBuilder()
                .setEventId(eventId)
                .setSessionId(sessionId)
                .setTenant(tenant)
                .setRole(role)
                .setEventType(type)
                .setTimestamp(at);
    }
}
