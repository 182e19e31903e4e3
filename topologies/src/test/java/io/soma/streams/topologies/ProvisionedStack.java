package io.soma.streams.topologies;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.KafkaState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.util.Map;

/** The test JVM's shared real stack, ready for the apps: every value schema registered, every topic listed. */
public final class ProvisionedStack {
    private static boolean provisioned;

    private ProvisionedStack() {
    }

    public static synchronized LocalStack shared() {
        LocalStack stack = LocalStack.shared();
        if (!provisioned) {
            new SchemaRegistrar(new SchemaRegistryClient(stack.schemaRegistryUrl())).registerAll(Topics.valueSchemas());
            TopicProvisioner.ensure(stack.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
            // a created topic is listed a moment later; a Streams app that starts before finds no source topic and fails
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
                KafkaState.awaitTopics(admin, Topics.provisioned().stream().map(TopicProvisioner.TopicSpec::name).toList());
            }
            provisioned = true;
        }
        return stack;
    }
}
