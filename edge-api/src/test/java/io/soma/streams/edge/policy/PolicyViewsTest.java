package io.soma.streams.edge.policy;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.PolicyDecision;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.evaluation.CompiledPolicy;
import io.soma.streams.topologies.policy.evaluation.EvaluationInput;
import io.soma.streams.topologies.policy.evaluation.PolicyEvaluator;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyViewsTest {

    /** Before any constitution is active, both places that name its hash say null, not the text "null". */
    @Test
    void shouldShowNoConstitutionHashAsNullInTheReasonsToo() {
        ConversationEvent event = ConversationEvent.newBuilder().setEventId("e1").setSessionId("s1").setTenant("t1")
                .setUser("u").setRole("user").setEventType("conversation.step").setTimestamp(Instant.EPOCH)
                .setContent("hello").build();
        CompiledPolicy none = CompiledPolicy.compile(null, null);
        PolicyDecision decision = PolicyAvro.decision(event, none,
                PolicyEvaluator.evaluate(new EvaluationInput("hello", "user", null), none), Instant.EPOCH, 1);

        Map<String, Object> view = PolicyViews.decision(decision);

        assertThat(view.get("constitution_hash")).isNull();
        @SuppressWarnings("unchecked")
        Map<String, Object> reasons = (Map<String, Object>) view.get("reasons");
        assertThat(reasons).containsEntry("constitution_hash", null);
    }
}
