package io.soma.streams.edge.query;

import io.soma.streams.schemas.GroupedKey;
import io.javalin.Javalin;
import io.soma.streams.devstack.FreePort;
import io.soma.streams.devstack.LocalStack;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.stores.query.PeerClient;
import io.soma.streams.stores.query.StoreQueryService;
import io.soma.streams.stores.query.StoreTenancy;
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
import java.util.UUID;
import java.util.stream.IntStream;

import static io.javalin.apibuilder.ApiBuilder.get;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real instances of one Streams app: a key, or a group of keys, held by B is answered through A, by B's peer
 * listener, for the key's own tenant only. Each key of the test's stores is its own tenant's.
 */
class CrossInstanceQueryIT {
    private static final String TOPIC = "iq-it-input";
    private static final String STORE = "iq-it-store";
    /** Two entries per input key, grouped under it: {@code GroupedKey.of(key, "first")} and {@code (key, "second")}. */
    private static final String GROUPED_STORE = "iq-it-grouped";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private static final String PEER_CREDENTIAL = "cross-instance-" + UUID.randomUUID() + UUID.randomUUID();
    /** The secret a rotation brings in: accepted by the listeners before any instance presents it. */
    private static final String NEXT_PEER_CREDENTIAL = "next-" + UUID.randomUUID() + UUID.randomUUID();

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
                if (owner.port() == b.peer.port()) {
                    heldByB.add(key);
                }
                HttpResponse<String> response = get(a, "/kv/" + key + "?as=" + key);
                assertThat(response.statusCode()).as(key).isEqualTo(200);
                assertThat(response.body()).isEqualTo("\"value-" + i + "\"");
                // another tenant's key answers as one nobody wrote, whether A or B holds it
                assertThat(get(a, "/kv/" + key + "?as=another-tenant").statusCode()).as(key).isEqualTo(404);
            }
            assertThat(heldByB).as("keys whose partition instance B owns").isNotEmpty();

            HttpResponse<String> missing = get(a, "/kv/no-such-key?as=no-such-key");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("\"error\":\"not_found\"");

            for (String key : heldByB) {
                HttpResponse<String> group = get(a, "/groups/" + key + "?as=" + key);
                String value = "value-" + key.substring("key-".length());
                assertThat(group.statusCode()).as(key).isEqualTo(200);
                assertThat(group.body()).isEqualTo("[\"first " + value + "\",\"second " + value + "\"]");
                assertThat(get(a, "/groups/" + key + "?as=another-tenant").statusCode()).as(key).isEqualTo(404);
                // one entry, read alone from the peer that holds the group
                HttpResponse<String> entry = get(a, "/groups/" + key + "/entries/second?as=" + key);
                assertThat(entry.statusCode()).as(key).isEqualTo(200);
                assertThat(entry.body()).isEqualTo("\"second " + value + "\"");
                assertThat(get(a, "/groups/" + key + "/entries/third?as=" + key).statusCode()).as(key).isEqualTo(404);
                assertThat(get(a, "/groups/" + key + "/entries/second?as=another-tenant").statusCode()).as(key)
                        .isEqualTo(404);
                // a tenant name a header cannot hold as it is (beyond Latin-1) crosses to the peer all the same
                assertThat(get(a, "/kv/" + key + "?as=%E6%97%A5%E6%9C%AC").statusCode()).as(key).isEqualTo(404);
            }
            HttpResponse<String> noGroup = get(a, "/groups/no-such-key?as=no-such-key");
            assertThat(noGroup.statusCode()).isEqualTo(404);
            // a grouped store is not read as a key-value store: the peer route says so instead of failing
            HttpResponse<String> wrongKind = peerGet(a,
                    PeerClient.INTERNAL_PATH + "/" + GROUPED_STORE + "/keys/key-1", PEER_CREDENTIAL, "key-1");
            assertThat(wrongKind.statusCode()).isEqualTo(404);
            assertThat(wrongKind.body()).contains("is a grouped store, not a key-value store");

            // A's peer listener: nothing without the shared credential, and then only the named tenant's own keys
            String heldByA = IntStream.range(0, 20).mapToObj(i -> "key-" + i).filter(k -> !heldByB.contains(k))
                    .findFirst().orElseThrow();
            String peerPath = PeerClient.INTERNAL_PATH + "/" + STORE + "/keys/" + heldByA;
            assertThat(peerGet(a, peerPath, PEER_CREDENTIAL, heldByA).statusCode()).isEqualTo(200);
            assertThat(peerGet(a, peerPath, NEXT_PEER_CREDENTIAL, heldByA).statusCode()).isEqualTo(200);
            assertThat(peerGet(a, peerPath, null, heldByA).statusCode()).isEqualTo(404);
            assertThat(peerGet(a, peerPath, "x" + PEER_CREDENTIAL, heldByA).statusCode()).isEqualTo(404);
            assertThat(peerGet(a, peerPath, PEER_CREDENTIAL, "another-tenant").statusCode()).isEqualTo(404);
            assertThat(peerGet(a, peerPath, PEER_CREDENTIAL, null).statusCode()).isEqualTo(404);
            // a peer asked for a key it does not hold (its asker's metadata was stale) says so, for a retry
            String heldByBPath = PeerClient.INTERNAL_PATH + "/" + STORE + "/keys/" + heldByB.get(0);
            HttpResponse<String> notHeld = peerGet(a, heldByBPath, PEER_CREDENTIAL, heldByB.get(0));
            assertThat(notHeld.statusCode()).isEqualTo(503);
            assertThat(notHeld.body()).contains("does not hold that key now");
            assertThat(peerGet(b, heldByBPath, PEER_CREDENTIAL, heldByB.get(0)).statusCode()).isEqualTo(200);
            // and the public listener has no peer route at all
            assertThat(get(a, peerPath).statusCode()).isEqualTo(404);

            // B's peer listener gone: A answers 503 once its patience is spent, without naming B's host or port
            int peerPortOfB = b.peer.port();
            b.peer.close();
            HttpResponse<String> unavailable = get(a, "/kv/" + heldByB.get(0) + "?as=" + heldByB.get(0));
            assertThat(unavailable.statusCode()).isEqualTo(503);
            assertThat(unavailable.body()).doesNotContain(Integer.toString(peerPortOfB), "HostInfo", "127.0.0.1");

            // A's app stopped: its own keys cannot be read now, which is a 503 like a rebalance, not a failure
            a.streams.close(Duration.ofSeconds(30));
            assertThat(get(a, "/kv/" + heldByA + "?as=" + heldByA).statusCode()).isEqualTo(503);
        } finally {
            instances.forEach(Instance::close);
        }
    }

    private static HttpResponse<String> get(Instance via, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + via.http.port() + path))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request to the instance's peer listener, with a credential and a tenant when given. */
    private static HttpResponse<String> peerGet(Instance via, String path, String credential, String tenant)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + via.peer.port() + path))
                .timeout(TIMEOUT);
        if (credential != null) {
            request.header(PeerClient.PEER_CREDENTIAL_HEADER, credential);
        }
        if (tenant != null) {
            request.header(PeerClient.TENANT_HEADER, tenant);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
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

    /** An instance: its app, a public listener whose routes act for the tenant {@code ?as=} names, and its peer listener. */
    private record Instance(KafkaStreams streams, Javalin http, PeerServer peer) implements AutoCloseable {
        static Instance start(String bootstrap, Path stateDir) {
            int peerPort = FreePort.onLoopback();
            StoreQueryService queries = new StoreQueryService(new HostInfo("127.0.0.1", peerPort),
                    Duration.ofSeconds(10), PEER_CREDENTIAL);
            StoreLookups lookups = new StoreLookups(queries);
            PeerServer peer = PeerServer.start("127.0.0.1", peerPort, List.of(PEER_CREDENTIAL, NEXT_PEER_CREDENTIAL),
                    lookups);
            Javalin http = Javalin.create(c -> c.showJavalinBanner = false).start("127.0.0.1", 0);
            ErrorResponses.install(http);
            http.get("/kv/{key}", ctx -> ctx.json(lookups.require(STORE, ctx.pathParam("key"), ctx.queryParam("as"),
                    "no such key")));
            http.get("/groups/{group}", ctx -> ctx.json(lookups.requireGroup(GROUPED_STORE, ctx.pathParam("group"),
                    ctx.queryParam("as"), "no such group")));
            http.get("/groups/{group}/entries/{member}", ctx -> ctx.json(lookups.groupEntry(GROUPED_STORE,
                    ctx.pathParam("group"), ctx.pathParam("member"), ctx.queryParam("as"))
                    .orElseThrow(() -> ApiException.notFound("no such entry"))));

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
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + peerPort);
            props.put("consumer.auto.offset.reset", "earliest");
            // the stores count what was flushed from the record cache, at each commit (every 30 s by default)
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
            KafkaStreams streams = new KafkaStreams(builder.build(), props);
            queries.local().registerKeyValueStore(STORE, streams, StoreTenancy.keyedByTenant(), (String v) -> v);
            queries.local().<String>registerGroupedStore(GROUPED_STORE, streams, StoreTenancy.keyedByTenant(),
                    e -> GroupedKey.parts(e.key()).get(1) + " " + e.value());
            streams.start();
            return new Instance(streams, http, peer);
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
            peer.close();
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
            grouped.put(GroupedKey.of(record.key(), "first"), record.value());
            grouped.put(GroupedKey.of(record.key(), "second"), record.value());
        }
    }
}
