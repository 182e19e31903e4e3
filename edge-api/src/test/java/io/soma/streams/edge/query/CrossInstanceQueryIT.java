package io.soma.streams.edge.query;

import io.javalin.Javalin;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.KafkaState;
import io.soma.streams.testkit.StreamsApps;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static io.javalin.apibuilder.ApiBuilder.get;
import static org.assertj.core.api.Assertions.assertThat;

/** Two real instances of one Streams app: a key, or a group of keys, held by B is answered through A. */
class CrossInstanceQueryIT {
    private static final String TOPIC = "iq-it-input";
    private static final String STORE = "iq-it-store";
    /** Two entries per input key, grouped under it: {@code groupedKey(key, "first")} and {@code (key, "second")}. */
    private static final String GROUPED_STORE = "iq-it-grouped";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    @Test
    void shouldAnswerAKeyHeldByAnotherInstance(@TempDir Path stateDir) throws Exception {
        LocalStack stack = LocalStack.shared();
        // a Streams app whose source topic is not listed yet fails instead of waiting
        KafkaState.createTopics(stack.bootstrapServers(), new NewTopic(TOPIC, 2, (short) 1));
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "key-" + i, "value-" + i));
            }
        }
        List<Instance> instances = new ArrayList<>();
        try {
            for (String name : List.of("a", "b")) {
                instances.add(Instance.start(stack.bootstrapServers(), stateDir.resolve(name)));
            }
            awaitRunning(instances);
            Instance a = instances.get(0);
            Instance b = instances.get(1);

            List<String> heldByB = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String key = "key-" + i;
                var owner = a.streams.queryMetadataForKey(STORE, key, Serdes.String().serializer()).activeHost();
                if (owner.port() == b.http.port()) {
                    heldByB.add(key);
                }
                HttpResponse<String> response = get(a, "/kv/" + key);
                assertThat(response.statusCode()).as(key).isEqualTo(200);
                assertThat(response.body()).isEqualTo("\"value-" + i + "\"");
            }
            assertThat(heldByB).as("keys whose partition instance B owns").isNotEmpty();

            HttpResponse<String> missing = get(a, "/kv/no-such-key");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("\"error\":\"not_found\"");

            for (String key : heldByB) {
                HttpResponse<String> group = get(a, "/groups/" + key);
                String value = "value-" + key.substring("key-".length());
                assertThat(group.statusCode()).as(key).isEqualTo(200);
                assertThat(group.body()).isEqualTo("[\"first " + value + "\",\"second " + value + "\"]");
            }
            HttpResponse<String> noGroup = get(a, "/groups/no-such-key");
            assertThat(noGroup.statusCode()).isEqualTo(404);
            // a grouped store is not read as a key-value store: the peer route says so instead of failing
            HttpResponse<String> wrongKind = get(a,
                    StoreQueryService.INTERNAL_PATH + "/" + GROUPED_STORE + "/keys/key-1");
            assertThat(wrongKind.statusCode()).isEqualTo(404);
            assertThat(wrongKind.body()).contains("is a grouped store, not a key-value store");
        } finally {
            instances.forEach(Instance::close);
        }
    }

    private static HttpResponse<String> get(Instance via, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + via.http.port() + path))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Until each instance holds a partition, and the two stores together hold the whole table. */
    private static void awaitRunning(List<Instance> instances) {
        StreamsApps.awaitRunningWithTasks(instances.stream().map(Instance::streams).toList());
        // the table is read from the start: wait until all twenty rows (and their forty grouped entries) are in
        // the two instances' stores together
        Await.until("20 rows and 40 grouped entries in the two instances' stores", TIMEOUT,
                () -> localCount(instances, STORE) == 20 && localCount(instances, GROUPED_STORE) == 40);
    }

    private static long localCount(List<Instance> instances, String store) {
        return instances.stream().mapToLong(i -> i.localCount(store)).sum();
    }

    private record Instance(KafkaStreams streams, Javalin http) implements AutoCloseable {
        static Instance start(String bootstrap, Path stateDir) {
            Javalin http = Javalin.create(c -> c.showJavalinBanner = false).start("127.0.0.1", 0);
            StoreQueryService queries = new StoreQueryService(new HostInfo("127.0.0.1", http.port()), Duration.ofSeconds(10));
            StoreLookups lookups = new StoreLookups(queries);
            ErrorResponses.install(http);
            http.get(StoreQueryService.INTERNAL_PATH + "/{store}/keys/{key}", lookups::peerLookup);
            http.get(StoreQueryService.INTERNAL_PATH + "/{store}/groups/{group}", lookups::peerGroup);
            http.get("/kv/{key}", ctx -> ctx.json(lookups.require(ctx, STORE, ctx.pathParam("key"), "no such key")));
            http.get("/groups/{group}", ctx -> ctx.json(
                    lookups.requireGroup(ctx, GROUPED_STORE, ctx.pathParam("group"), "no such group")));

            StreamsBuilder builder = new StreamsBuilder();
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(GROUPED_STORE),
                    Serdes.String(), Serdes.String()));
            builder.table(TOPIC, Consumed.with(Serdes.String(), Serdes.String()),
                            Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(STORE)
                                    .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                    .toStream()
                    .process(GroupWriter::new, GROUPED_STORE);
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "iq-it");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + http.port());
            props.put("consumer.auto.offset.reset", "earliest");
            // the stores count what was flushed from the record cache, at each commit (every 30 s by default)
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
            KafkaStreams streams = new KafkaStreams(builder.build(), props);
            queries.registerKeyValueStore(STORE, streams, (String v) -> v);
            queries.<String>registerGroupedStore(GROUPED_STORE, streams,
                    e -> StoreQueryService.keyParts(e.key()).get(1) + " " + e.value());
            streams.start();
            return new Instance(streams, http);
        }

        long localCount(String store) {
            try {
                return streams.store(org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(store,
                        org.apache.kafka.streams.state.QueryableStoreTypes.<String, String>keyValueStore())).approximateNumEntries();
            } catch (RuntimeException e) {
                return 0;
            }
        }

        @Override
        public void close() {
            StreamsApps.closeLeavingGroup(streams);
            http.stop();
        }
    }

    /** Writes each input row as two entries of the group named by its key (the key the input is partitioned by). */
    private static final class GroupWriter implements Processor<String, String, Void, Void> {
        private KeyValueStore<String, String> grouped;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            grouped = context.getStateStore(GROUPED_STORE);
        }

        @Override
        public void process(Record<String, String> record) {
            grouped.put(StoreQueryService.groupedKey(record.key(), "first"), record.value());
            grouped.put(StoreQueryService.groupedKey(record.key(), "second"), record.value());
        }
    }
}
