package io.soma.streams.schemas.serde;

import io.soma.streams.schemas.RedactedUrl;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers every topic's value schema under {@code <topic>-value} at app start and holds each subject to
 * BACKWARD compatibility (registries may default to NONE), so an incompatible change stops the app before it
 * writes a record, with a message naming every offending topic.
 */
public final class SchemaRegistrar {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistrar.class);
    private static final CompatibilityLevel REQUIRED = CompatibilityLevel.BACKWARD;

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
        valueSchemasByTopic.forEach((topic, schema) -> {
            String subject = Subjects.value(topic);
            try {
                ids.put(topic, register(subject, schema));
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

    private int register(String subject, Schema schema) {
        try {
            // the rule is set before registering, so this very registration is checked against it
            registry.setCompatibility(subject, REQUIRED);
        } catch (SchemaRegistryException e) {
            if (!e.isNotFound()) {
                throw e;
            }
            // registries that keep rules only for existing subjects: a first version has nothing to break
            int id = registry.register(subject, schema);
            registry.setCompatibility(subject, REQUIRED);
            log.info("registered {} as id {} (first version), compatibility {}", subject, id, REQUIRED);
            return id;
        }
        int id = registry.register(subject, schema);
        log.info("registered {} as id {}, compatibility {}", subject, id, REQUIRED);
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
