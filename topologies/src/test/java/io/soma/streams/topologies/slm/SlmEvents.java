package io.soma.streams.topologies.slm;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.SlmMetricsWindow;
import io.soma.streams.topologies.replay.ReplayPlan;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * LLMPerf measurements as the {@code conversation.events} the demo replays (the files have no timestamps: the
 * test places them in time), and the comparison of a streamed window with the exact values of its records.
 */
final class SlmEvents {
    private SlmEvents() {
    }

    /** The requests of one file, {@code step} apart from {@code start}. */
    static List<ConversationEvent> timed(List<LlmPerfRecords.Request> requests, Instant start, Duration step) {
        List<ConversationEvent> events = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            events.add(ReplayPlan.llmPerfEvent(requests.get(i), start.plus(step.multipliedBy(i))));
        }
        return events;
    }

    static List<SlmRequest> slmRequests(List<LlmPerfRecords.Request> requests) {
        return requests.stream().map(LlmPerfRecords.Request::toSlmRequest).toList();
    }

    /**
     * The largest relative error of the window's five quantiles against the exact lower quantiles
     * {@code x[floor(q·(n−1))]} of the same requests.
     */
    static double maxRelativeError(SlmMetricsWindow window, List<SlmRequest> requests) {
        double worst = 0;
        worst = Math.max(worst, error(window, requests, SlmRequest::endToEndLatencyMs, 0.50, SlmMetricsWindow::getLatencyP50Ms));
        worst = Math.max(worst, error(window, requests, SlmRequest::endToEndLatencyMs, 0.95, SlmMetricsWindow::getLatencyP95Ms));
        worst = Math.max(worst, error(window, requests, SlmRequest::endToEndLatencyMs, 0.99, SlmMetricsWindow::getLatencyP99Ms));
        worst = Math.max(worst, error(window, requests, SlmRequest::timeToFirstTokenMs, 0.50, SlmMetricsWindow::getTtftP50Ms));
        worst = Math.max(worst, error(window, requests, SlmRequest::timeToFirstTokenMs, 0.95, SlmMetricsWindow::getTtftP95Ms));
        return worst;
    }

    private static double error(SlmMetricsWindow window, List<SlmRequest> requests, ToDoubleFunction<SlmRequest> value,
                                double q, Function<SlmMetricsWindow, Double> streamed) {
        double exact = LlmPerfReport.lowerQuantile(LlmPerfReport.sortedSuccessful(requests, value), q);
        return LlmPerfReport.relativeError(streamed.apply(window), exact);
    }
}
