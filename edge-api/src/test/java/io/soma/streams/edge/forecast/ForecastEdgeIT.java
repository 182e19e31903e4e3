package io.soma.streams.edge.forecast;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.AvroSerializer;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.topologies.forecast.ServeGenEvents;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Forecasts through the edge, after a real ServeGen tenant's windows went through the forecast app. */
class ForecastEdgeIT {
    private static EdgeFixture edge;

    @BeforeAll
    static void start() throws Exception {
        // ServeGen's event time (2025) must not meet other tests' "now" in the shared broker's partitions
        edge = EdgeFixture.onOwnStack(Map.of()).awaitReady();
    }

    @AfterAll
    static void stop() {
        edge.close();
    }

    @Test
    void shouldAnswerTheOldShapeWithAnIntervalAfterRealUsage() throws Exception {
        String prefix = "fc-" + System.nanoTime() + "-";
        List<ConversationEvent> events = ServeGenEvents.read(
                Path.of(System.getProperty("soma.data.dir", "../../shared/data"), "servegen-language", "servegen_m-large.csv"),
                List.of("m-large-0"), prefix);
        String tenant = prefix + "m-large-0";
        // two days of the tenant's real 10-minute windows, in time order under one key
        List<ConversationEvent> slice = events.subList(0, Math.min(events.size(), 288));
        try (KafkaProducer<String, ConversationEvent> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", edge.config().bootstrapServers()), new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(edge.config().schemaRegistryUrl()), false, true))) {
            for (ConversationEvent e : slice) {
                producer.send(new ProducerRecord<>(Topics.CONVERSATION_EVENTS.name(), tenant, e));
            }
        }
        String token = edge.adminToken();
        HttpResponse<String> answer;
        long deadline = System.currentTimeMillis() + 60_000;
        do {
            answer = edge.get("/v1/forecast/" + tenant + "?window_hours=24", token);
            if (answer.statusCode() == 200) {
                break;
            }
            Thread.sleep(250);
        } while (System.currentTimeMillis() < deadline);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode body = EdgeFixture.json(answer);
        assertThat(body.get("tenant").asText()).isEqualTo(tenant);
        assertThat(body.has("estimated_tokens")).isTrue();
        assertThat(body.has("estimated_cost_usd")).isTrue();
        assertThat(body.has("confidence")).isTrue();
        assertThat(body.get("lower").asLong()).isLessThanOrEqualTo(body.get("upper").asLong());
        assertThat(body.get("horizon_hours").asInt()).isEqualTo(24);

        HttpResponse<String> viaPost = edge.post("/v1/forecast", token,
                EdgeFixture.json(Map.of("tenant", tenant, "window_hours", 6)));
        assertThat(viaPost.statusCode()).as(viaPost.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(viaPost).get("horizon_hours").asInt()).isEqualTo(6);
    }

    @Test
    void shouldRefuseUnknownTenantsAndBadWindows() throws Exception {
        String token = edge.adminToken();
        assertThat(edge.get("/v1/forecast/no-such-tenant-" + System.nanoTime(), token).statusCode()).isEqualTo(404);
        HttpResponse<String> bad = edge.get("/v1/forecast/any?window_hours=0", token);
        assertThat(bad.statusCode()).isEqualTo(422);
        assertThat(EdgeFixture.json(bad).get("error").asText()).isEqualTo("invalid");
        assertThat(edge.post("/v1/forecast", token, EdgeFixture.json(Map.of("tenant", "any", "window_hours", 1000)))
                .statusCode()).isEqualTo(422);
    }
}
