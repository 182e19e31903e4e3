package io.soma.streams.edge;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.edge.config.Settings;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo as the README starts it: embedded broker and registry, the edge ready, real events replayed. */
class DemoIT {

    @Test
    void shouldReachReadyAndReplayTheRealDatasetsIntoKafka() throws Exception {
        Path dataDir = Path.of(System.getProperty("soma.test.work.dir", "target/test-work")).resolve("demo-" + System.nanoTime());
        SomaConfig config = SomaConfig.from(Settings.of(Map.of(
                "stack.embedded", "true",
                "stack.data.dir", dataDir.toString(),
                "stack.kafka.port", "0",
                "stack.registry.port", "0",
                "edge.port", "0",
                "constitution.trusted.keys", "example",
                "policy.load.examples", "true",
                "datasets.dir", System.getProperty("soma.data.dir", "../../shared/data"),
                // the hour-long Azure trace in about two seconds
                "replay.speed", "2000")));
        try (SomaProcess process = SomaProcess.start(config)) {
            HttpResponse<String> ready = awaitReady(process.edgePort(), Duration.ofSeconds(60));
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

            Map<String, Integer> byDataset = readBack(process.config(), 2_000);
            assertThat(byDataset).containsKeys("azure-llm-inference-2023");
            assertThat(byDataset.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(2_000);
        }
    }

    /** Polls readiness until 200 or the timeout; the last answer either way. */
    static HttpResponse<String> awaitReady(int port, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last;
        do {
            last = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (last.statusCode() == 200) {
                return last;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return last;
    }

    private static Map<String, Integer> readBack(SomaConfig config, int atLeast) {
        SchemaRegistryClient registry = new SchemaRegistryClient(config.schemaRegistryUrl());
        Map<String, Integer> byDataset = new HashMap<>();
        try (KafkaConsumer<String, ConversationEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "demo-it",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.CONVERSATION_EVENTS.keySerde().deserializer(),
                Topics.CONVERSATION_EVENTS.valueSerde(registry).deserializer())) {
            consumer.subscribe(List.of(Topics.CONVERSATION_EVENTS.name()));
            long deadline = System.currentTimeMillis() + 60_000;
            int total = 0;
            while (total < atLeast && System.currentTimeMillis() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    byDataset.merge(r.value().getMetadata().get("dataset"), 1, Integer::sum);
                    total++;
                }
            }
        }
        return byDataset;
    }
}
