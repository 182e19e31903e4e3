package io.soma.streams.schemas.serde;

import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.devstack.LocalStack;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Apps and their stream threads start together and register the same new schemas at the same moment. Against the
 * real registry, every one of them must come away with the one id the subject holds, none with an error.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConcurrentRegistrationIT {
    private static final int INSTANCES = 6;
    private static final int ROUNDS = 2;
    private static final int SUBJECTS_PER_ROUND = 4;

    @Test
    void shouldGiveEveryInstanceTheSameIdWhenAllRegisterANewSchemaAtOnce() throws Exception {
        String url = LocalStack.shared().schemaRegistryUrl();
        ExecutorService instances = Executors.newFixedThreadPool(INSTANCES);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                Map<String, Schema> topics = new LinkedHashMap<>();
                for (int i = 0; i < SUBJECTS_PER_ROUND; i++) {
                    topics.put("it.concurrent." + System.nanoTime() + "." + i, ConversationEvent.getClassSchema());
                }
                CyclicBarrier together = new CyclicBarrier(INSTANCES);
                List<Future<Map<String, Integer>>> registered = new ArrayList<>();
                for (int i = 0; i < INSTANCES; i++) {
                    // a client of its own each, as separate apps have
                    registered.add(instances.submit(() -> {
                        SchemaRegistrar registrar = new SchemaRegistrar(new SchemaRegistryClient(url));
                        together.await(30, TimeUnit.SECONDS);
                        return registrar.registerAll(topics);
                    }));
                }
                // a loaded registry may fail them for a while; the registrar waits it out (SchemaRegistrar.PATIENCE)
                Map<String, Integer> first = registered.get(0).get(150, TimeUnit.SECONDS);
                for (Future<Map<String, Integer>> other : registered) {
                    assertThat(other.get(150, TimeUnit.SECONDS)).isEqualTo(first);
                }
                SchemaRegistryClient registry = new SchemaRegistryClient(url);
                // Apicurio may keep a racing duplicate as a second version; it has the same id, so readers see one schema
                topics.keySet().forEach(topic -> {
                    String subject = Subjects.value(topic);
                    assertThat(registry.latest(subject).id()).as(subject).isEqualTo(first.get(topic));
                    assertThat(registry.compatibility(subject)).as(subject).contains(CompatibilityLevel.BACKWARD);
                });
            }
        } finally {
            instances.shutdownNow();
        }
    }
}
