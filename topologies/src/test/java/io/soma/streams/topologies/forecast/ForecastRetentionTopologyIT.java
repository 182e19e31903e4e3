package io.soma.streams.topologies.forecast;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.TestDriverSettings;
import io.soma.streams.topologies.runtime.AppSerdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The forecast app on a test driver over the real registry: keys nobody used for the retention are forgotten. */
class ForecastRetentionTopologyIT {

    @Test
    void shouldForgetTheForecastersAndCapsuleUsageOfKeysIdleLongerThanTheRetention() {
        AppSerdes serdes = new AppSerdes(new SchemaRegistryClient(ProvisionedStack.shared().schemaRegistryUrl()));
        ForecastApp.Config config = ForecastApp.Config.defaults(new ForecastMetrics(new PrometheusRegistry()));
        // a real tenant's windows of the ServeGen trace, as a gateway would send them
        List<ConversationEvent> real = ServeGenEvents.read(TokenForecasterTest.servegen(),
                List.of(ServeGenSeries.mostActive(ServeGenSeries.read(TokenForecasterTest.servegen(),
                        ForecastSettings.DEFAULT_WINDOW), 1, 144).get(0)), "retention-").subList(0, 5);
        Instant start = real.get(0).getTimestamp();
        Instant later = start.plus(config.keyRetention()).plus(Duration.ofDays(5));

        try (TopologyTestDriver driver = new TopologyTestDriver(ForecastApp.build(config, serdes),
                TestDriverSettings.of("forecast-retention-test", TestPaths.newWorkDir("forecast-retention")))) {
            TestInputTopic<String, ConversationEvent> events = driver.createInputTopic(
                    Topics.CONVERSATION_EVENTS.name(), new StringSerializer(),
                    serdes.value(Topics.CONVERSATION_EVENTS).serializer());
            // a model and a capsule used once, then only another model, long after
            send(events, real.get(0), "model-once", "capsule-once", start);
            send(events, real.get(1), "model-once", "capsule-once", start.plus(Duration.ofMinutes(20)));
            // closes the last window of model-once (and of its capsule) before time moves on
            send(events, real.get(2), "model-now", null, start.plus(Duration.ofMinutes(40)));
            assertThat(keys(driver, ForecastApp.FORECASTER_STORE)).hasSize(1);
            assertThat(keys(driver, ForecastApp.CAPSULE_FORECASTER_STORE)).hasSize(1);
            assertThat(keys(driver, ForecastApp.CAPSULE_USAGE_STORE)).hasSize(1);

            send(events, real.get(3), "model-now", null, later);
            send(events, real.get(4), "model-now", null, later.plus(Duration.ofMinutes(20)));

            assertThat(keys(driver, ForecastApp.FORECASTER_STORE)).singleElement()
                    .satisfies(key -> assertThat(key).contains("model-now"));
            assertThat(keys(driver, ForecastApp.CAPSULE_FORECASTER_STORE)).isEmpty();
            assertThat(keys(driver, ForecastApp.CAPSULE_USAGE_STORE)).isEmpty();
        }
    }

    /**
     * token_forecast_wape{tenant} is this instance's view: it goes when the task leaves (closed), and with the tenant's
     * last key forgotten, instead of exporting a stale worst WAPE for good.
     */
    @Test
    void shouldDropTheWapeGaugeWhenItsTaskClosesAndWhenItsKeysAreForgotten() {
        AppSerdes serdes = new AppSerdes(new SchemaRegistryClient(ProvisionedStack.shared().schemaRegistryUrl()));
        PrometheusRegistry registry = new PrometheusRegistry();
        ForecastApp.Config config = ForecastApp.Config.defaults(new ForecastMetrics(registry));
        // two days of a real tenant's windows: a day of 24-hour-ahead forecasts scored
        List<ConversationEvent> real = ServeGenEvents.read(TokenForecasterTest.servegen(),
                List.of(ServeGenSeries.mostActive(ServeGenSeries.read(TokenForecasterTest.servegen(),
                        ForecastSettings.DEFAULT_WINDOW), 1, 144).get(0)), "wape-gauge-").subList(0, 288);
        String tenant = real.get(0).getTenant();

        try (TopologyTestDriver driver = driver(config, serdes, "forecast-wape-close-test")) {
            sendAll(driver, serdes, real, "model-a");
            assertThat(wapeSeries(registry)).containsExactly(tenant);
        }
        assertThat(wapeSeries(registry)).as("its task closed").isEmpty();

        try (TopologyTestDriver driver = driver(config, serdes, "forecast-wape-forget-test")) {
            sendAll(driver, serdes, real, "model-a");
            assertThat(wapeSeries(registry)).containsExactly(tenant);
            // only another model, long after: model-a is forgotten, and model-b has no WAPE yet
            Instant later = real.get(real.size() - 1).getTimestamp().plus(config.keyRetention()).plus(Duration.ofDays(5));
            TestInputTopic<String, ConversationEvent> events = input(driver, serdes);
            send(events, real.get(0), "model-b", null, later);
            send(events, real.get(1), "model-b", null, later.plus(Duration.ofMinutes(20)));
            assertThat(keys(driver, ForecastApp.FORECASTER_STORE)).singleElement()
                    .satisfies(key -> assertThat(key).contains("model-b"));
            assertThat(wapeSeries(registry)).as("its only key with a WAPE forgotten").isEmpty();
        }
    }

    private static TopologyTestDriver driver(ForecastApp.Config config, AppSerdes serdes, String appId) {
        return new TopologyTestDriver(ForecastApp.build(config, serdes),
                TestDriverSettings.of(appId, TestPaths.newWorkDir(appId)));
    }

    private static TestInputTopic<String, ConversationEvent> input(TopologyTestDriver driver, AppSerdes serdes) {
        return driver.createInputTopic(Topics.CONVERSATION_EVENTS.name(), new StringSerializer(),
                serdes.value(Topics.CONVERSATION_EVENTS).serializer());
    }

    private static void sendAll(TopologyTestDriver driver, AppSerdes serdes, List<ConversationEvent> real,
                                String model) {
        TestInputTopic<String, ConversationEvent> events = input(driver, serdes);
        real.forEach(event -> send(events, event, model, null, event.getTimestamp()));
    }

    /** The tenants token_forecast_wape has a series for. */
    private static List<String> wapeSeries(PrometheusRegistry registry) {
        return registry.scrape().stream().filter(m -> m.getMetadata().getName().equals("token_forecast_wape"))
                .flatMap(m -> m.getDataPoints().stream()).map(p -> p.getLabels().get("tenant")).toList();
    }

    private static void send(TestInputTopic<String, ConversationEvent> events, ConversationEvent real, String model,
                             String capsule, Instant at) {
        ConversationEvent event = ConversationEvent.newBuilder(real).setModel(model).setCapsuleId(capsule)
                .setTimestamp(at).setEventId(model + "@" + at).build();
        events.pipeInput(event.getSessionId(), event, at);
    }

    private static List<String> keys(TopologyTestDriver driver, String store) {
        KeyValueStore<String, Object> kv = driver.getKeyValueStore(store);
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, Object> all = kv.all()) {
            all.forEachRemaining((KeyValue<String, Object> e) -> keys.add(e.key));
        }
        return keys;
    }
}
