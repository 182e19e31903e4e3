package io.soma.streams.stores.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyDecisionRowJsonTest {

    @Test
    void shouldWriteAPageInTheApiShape() throws Exception {
        ObjectMapper edgeMapper = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        TraceAuditRecords.Request request = TraceAuditRecords.requests("conv", 1).get(0);
        PolicyDecisionRow row = TraceAuditRecords.decision(request, new KafkaSource("policy.decisions", 2, 41));

        JsonNode json = edgeMapper.readTree(edgeMapper.writeValueAsString(new DecisionArchiveQuery.Page(List.of(row), "abc")));

        JsonNode decision = json.get("decisions").get(0);
        assertThat(json.get("next_cursor").asText()).isEqualTo("abc");
        assertThat(decision.get("decision_id").asText()).isEqualTo(request.id("decision"));
        assertThat(decision.get("violations").isArray()).isTrue();
        assertThat(decision.get("evaluated_at").asText()).isEqualTo(request.arrivedAt().toString());
        assertThat(decision.get("source").get("offset").asLong()).isEqualTo(41);
        assertThat(decision.has("violationsJson")).isFalse();
    }
}
