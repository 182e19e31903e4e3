package io.soma.streams.edge.policy;

import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.edge.budget.BudgetGate;
import io.soma.streams.edge.budget.BudgetSlice;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.edge.sse.SseHub;
import io.soma.streams.schemas.Topics;

import java.util.Optional;

/**
 * Conversation steps and streams: a step is published and answered with the policy app's decision (after its
 * estimate is reserved, when the process runs the budget slice); a session's events and decisions stream as SSE.
 */
public record ConversationSlice(Closer closer, ConversationHandlers handlers) implements Slice {
    public static ConversationSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            var decisions = platform.replies(Topics.POLICY_DECISIONS, PolicyDecision::getEventId, closer);
            SseHub sessions = platform.sseHub("conversation", ConversationHandlers.sessionSource(
                    platform.serdes().value(Topics.CONVERSATION_EVENTS).deserializer(),
                    platform.serdes().value(Topics.POLICY_DECISIONS).deserializer()), closer);
            // a process without the budget slice publishes steps without reserving
            Optional<BudgetGate> budgets = started.find(BudgetSlice.class).map(BudgetSlice::gate);
            return new ConversationSlice(closer, new ConversationHandlers(platform.producer(), decisions, sessions,
                    budgets, platform.replyTimeout()));
        });
    }
}
