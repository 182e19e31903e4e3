package io.soma.streams.schemas.serde;

import io.soma.streams.schemas.RedactedUrl;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Registers every topic's value schema under {@code <topic>-value} at app start and holds each subject to
 * BACKWARD compatibility (registries may default to NONE), or to the stricter rule an operator gave it, so an
 * incompatible change stops the app before it writes a record, with a message naming every offending topic.
 */
public final class SchemaRegistrar {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistrar.class);
    private static final CompatibilityLevel REQUIRED = CompatibilityLevel.BACKWARD;
    /**
     * How long a start waits out a registry that fails transiently (5xx, timeouts, unreachable), for all subjects
     * together. The subject under way may take longer: its calls' own retries (each about 41 s at most against a
     * registry that times out; a second or two against one that refuses connections). The chart's startup probe
     * restarts a pod whose start takes ten minutes (the listener opens after registration), so this stays short.
     */
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private final SchemaRegistryClient registry;

    public SchemaRegistrar(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    /**
     * @return topic → registered schema id
     * @throws SchemaRegistrationException if any schema is incompatible with what its subject holds
     */
    public Map<String, Integer> registerAll(Map<String, Schema> valueSchemasByTopic) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        List<String> incompatible = new ArrayList<>();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        valueSchemasByTopic.forEach((topic, schema) -> {
            String subject = Subjects.value(topic);
            try {
                ids.put(topic, registerPatiently(subject, schema, deadline));
            } catch (SchemaRegistryException e) {
                if (!e.isIncompatible()) {
                    throw e;
                }
                incompatible.add(explain(topic, subject, schema, e));
            }
        });
        if (!incompatible.isEmpty()) {
            throw new SchemaRegistrationException("schemas not " + REQUIRED + "-compatible with the registry at "
                    + RedactedUrl.of(registry.url()) + ":\n  " + String.join("\n  ", incompatible));
        }
        return ids;
    }

    /**
     * {@link #register}, again while the registry fails transiently, until {@code deadline} ({@link #PATIENCE} after
     * the first subject began). Instances of a deploy start together and register the same subjects at once: a
     * registry's database may then time out on its locks or answer 500 for several rounds of the client's own
     * retries, and the start must not fail for that.
     */
    private int registerPatiently(String subject, Schema schema, long deadline) {
        while (true) {
            try {
                return register(subject, schema);
            } catch (SchemaRegistryException e) {
                if (!e.isTransient() || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                log.warn("registering {} failed for now ({}); trying again, for up to {} s for all subjects",
                        subject, e.getMessage(), PATIENCE.toSeconds());
                pause(e);
            }
        }
    }

    private static void pause(SchemaRegistryException failure) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(500, 1_500));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.addSuppressed(e);
            throw failure;
        }
    }

    private int register(String subject, Schema schema) {
        // an operator's stricter rule stays: a transitive one keeps every version a compacted topic still holds
        // readable, where BACKWARD checks against the last version only
        CompatibilityLevel level = registry.compatibility(subject).filter(CompatibilityLevel::includesBackward)
                .orElse(REQUIRED);
        try {
            // the rule is set before registering, so this very registration is checked against it
            registry.setCompatibility(subject, level);
        } catch (SchemaRegistryException e) {
            if (!e.isNotFound()) {
                throw e;
            }
            // registries that keep rules only for existing subjects: a first version has nothing to break
            int id = registry.register(subject, schema);
            registry.setCompatibility(subject, level);
            log.info("registered {} as id {} (first version), compatibility {}", subject, id, level);
            return id;
        }
        int id = registry.register(subject, schema);
        log.info("registered {} as id {}, compatibility {}", subject, id, level);
        return id;
    }

    private String explain(String topic, String subject, Schema schema, SchemaRegistryException e) {
        String reasons = e.registryMessage();
        try {
            CompatibilityResult check = registry.checkCompatibility(subject, schema);
            if (!check.messages().isEmpty()) {
                reasons = String.join("; ", check.messages());
            }
        } catch (SchemaRegistryException ignored) {
            // the registration's own message is all there is
        }
        return "topic " + topic + ": " + schema.getFullName() + " rejected by subject " + subject + " (HTTP "
                + e.status() + "): " + reasons;
    }
}
